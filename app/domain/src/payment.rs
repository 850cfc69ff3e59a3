//! Aid money after approval: payment plans (one payment or fixed
//! installments), the ledger of a case (approved, paid, spent, confirmed),
//! what aid may be spent on, release on proof of use, and who may do what.
//!
//! The server enforces these rules inside the database transaction; the front
//! end uses the same functions to validate forms and show buttons.

use serde::{Deserialize, Serialize};

use crate::case::text_enum;
use crate::date::{days_in_month, format_date, parse_date};
use crate::{Fen, FieldError, Role};

/// One payment of the whole amount, or fixed installments at set dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PlanKind {
    Single,
    Installments,
}

text_enum!(PlanKind {
    Single => "single",
    Installments => "installments",
});

/// What supervised aid was spent on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    School,
    Medical,
    Living,
    Other,
}

text_enum!(Purpose {
    School => "school",
    Medical => "medical",
    Living => "living",
    Other => "other",
});

/// Where a spending record stands with the village committee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SpendingStatus {
    /// Waiting for the village committee (new, or the officer answered a query).
    Pending,
    Confirmed,
    /// The village committee asked a question; the officer answers it.
    Queried,
}

text_enum!(SpendingStatus {
    Pending => "pending",
    Confirmed => "confirmed",
    Queried => "queried",
});

/// How an installment reached the family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    BankTransfer,
    Cash,
    Other,
}

text_enum!(PaymentMethod {
    BankTransfer => "bank_transfer",
    Cash => "cash",
    Other => "other",
});

/// The kinds of money document kept as an uploaded image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// 《未成年人国家司法救助金使用监管协议》
    Agreement,
    /// 《承诺书》
    Pledge,
    /// A receipt for a spending record.
    Receipt,
}

text_enum!(DocumentKind {
    Agreement => "agreement",
    Pledge => "pledge",
    Receipt => "receipt",
});

/// What someone does with a case's money.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoneyAction {
    /// See the money view (a village committee: only supervised children of its village).
    Read,
    /// Make or change the plan before any payment, record the agreement and pledge.
    Plan,
    /// Change the plan after payments started (with a reason).
    ChangeStartedPlan,
    /// Record an installment as paid; sample-check a payment by phone.
    Pay,
    /// Release the next installment without proof of use (with a reason).
    OverrideRelease,
    /// Record spending (with a receipt photo).
    RecordSpending,
    /// Confirm or query a spending record.
    ConfirmSpending,
    /// Answer a village committee's query.
    AnswerQuery,
}

/// Which role may take a money action. Checks that depend on the data (the
/// case's own officer, the committee's own village) are made by the server.
pub fn may(role: Role, action: MoneyAction) -> bool {
    use MoneyAction as A;
    match action {
        A::Read => matches!(
            role,
            Role::Officer | Role::Supervisor | Role::VillageCommittee
        ),
        A::Plan => matches!(role, Role::Officer | Role::Supervisor),
        A::ChangeStartedPlan | A::OverrideRelease => role == Role::Supervisor,
        A::Pay | A::AnswerQuery => role == Role::Officer,
        A::RecordSpending => matches!(role, Role::Officer | Role::VillageCommittee),
        A::ConfirmSpending => role == Role::VillageCommittee,
    }
}

/// Most installments a plan may have (five years, monthly).
pub const MAX_INSTALLMENTS: usize = 60;

/// The running totals of a case's aid. At all times
/// `0 <= confirmed <= spent <= paid <= approved`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ledger {
    pub approved_fen: i64,
    pub paid_fen: i64,
    pub spent_fen: i64,
    pub confirmed_fen: i64,
}

/// Why money cannot move.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("the payment would exceed the approved amount")]
    OverApproved,
    #[error("the spending would exceed the money paid and not yet spent")]
    OverBalance,
    #[error("confirmed spending cannot exceed recorded spending")]
    OverSpent,
    #[error("amounts must be more than zero")]
    NotPositive,
}

impl Ledger {
    /// Paid and not yet spent: what the family still holds.
    pub fn balance_fen(&self) -> i64 {
        self.paid_fen - self.spent_fen
    }

    /// Approved and not yet paid.
    pub fn unpaid_fen(&self) -> i64 {
        self.approved_fen - self.paid_fen
    }

    pub fn holds(&self) -> bool {
        0 <= self.confirmed_fen
            && self.confirmed_fen <= self.spent_fen
            && self.spent_fen <= self.paid_fen
            && self.paid_fen <= self.approved_fen
    }

    fn step(self, amount: i64, next: Ledger, err: LedgerError) -> Result<Ledger, LedgerError> {
        if amount <= 0 {
            return Err(LedgerError::NotPositive);
        }
        if next.holds() {
            Ok(next)
        } else {
            Err(err)
        }
    }

    pub fn pay(self, amount: i64) -> Result<Ledger, LedgerError> {
        let paid_fen = self
            .paid_fen
            .checked_add(amount)
            .ok_or(LedgerError::OverApproved)?;
        self.step(
            amount,
            Ledger { paid_fen, ..self },
            LedgerError::OverApproved,
        )
    }

    pub fn spend(self, amount: i64) -> Result<Ledger, LedgerError> {
        let spent_fen = self
            .spent_fen
            .checked_add(amount)
            .ok_or(LedgerError::OverBalance)?;
        self.step(
            amount,
            Ledger { spent_fen, ..self },
            LedgerError::OverBalance,
        )
    }

    pub fn confirm(self, amount: i64) -> Result<Ledger, LedgerError> {
        let confirmed_fen = self
            .confirmed_fen
            .checked_add(amount)
            .ok_or(LedgerError::OverSpent)?;
        self.step(
            amount,
            Ledger {
                confirmed_fen,
                ..self
            },
            LedgerError::OverSpent,
        )
    }

    /// Release on proof of use: for supervised aid, the next installment is
    /// paid only when everything paid so far is spent and the spending
    /// confirmed by the village committee. The first installment needs no proof.
    pub fn proof_of_use_complete(&self) -> bool {
        self.paid_fen == 0 || self.confirmed_fen >= self.paid_fen
    }
}

/// One installment of a plan as entered: when and how much.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InstallmentInput {
    /// YYYY-MM-DD (China time).
    pub due_on: String,
    /// Whole fen, more than zero.
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub amount_fen: serde_json::Number,
}

/// Reads an amount sent as a JSON number: whole fen, more than zero.
/// Amounts are taken as JSON numbers (not `i64`) so that `12.5` gets a clear
/// message about fen instead of a parser error.
pub fn amount_from_json(
    number: &serde_json::Number,
    field: &'static str,
) -> Result<Fen, FieldError> {
    let error = |code, message| FieldError {
        field,
        code,
        message,
    };
    match (number.as_i64(), number.as_u64(), number.as_f64()) {
        (Some(fen), _, _) if fen > 0 => Ok(Fen(fen)),
        (Some(_), _, _) => Err(error("amount_not_positive", "must be more than zero")),
        (None, Some(_), _) => Err(error("amount_too_large", "is larger than any aid can be")),
        (None, None, Some(f)) if f <= 0.0 => {
            Err(error("amount_not_positive", "must be more than zero"))
        }
        _ => Err(error(
            "fraction_of_fen",
            "must be a whole number of fen (1 yuan = 100 fen)",
        )),
    }
}

/// A checked installment: due date (YYYY-MM-DD) and amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installment {
    pub due_on: String,
    pub amount: Fen,
}

/// Checks a plan: one installment for a single payment, 1..=60 for
/// installments; each amount whole fen above zero; due dates valid, not
/// before the decision and in order; the amounts add up to `total`
/// (the approved amount, less what is already paid when a started plan changes).
pub fn check_plan(
    kind: PlanKind,
    installments: &[InstallmentInput],
    total: Fen,
    not_before: &str,
) -> Result<Vec<Installment>, FieldError> {
    let error = |code, message| FieldError {
        field: "installments",
        code,
        message,
    };
    if installments.is_empty() {
        return Err(error("plan_empty", "needs at least one installment"));
    }
    if kind == PlanKind::Single && installments.len() != 1 {
        return Err(error(
            "single_payment_has_one_installment",
            "a single payment has exactly one installment",
        ));
    }
    if installments.len() > MAX_INSTALLMENTS {
        return Err(error("too_many_installments", "has too many installments"));
    }
    let mut checked = Vec::with_capacity(installments.len());
    for input in installments {
        let amount = amount_from_json(&input.amount_fen, "amount_fen")?;
        let due = parse_date(&input.due_on).ok_or(FieldError {
            field: "due_on",
            code: "invalid_date",
            message: "must be a date YYYY-MM-DD",
        })?;
        let due_on = format_date(due);
        if due_on.as_str() < not_before {
            return Err(FieldError {
                field: "due_on",
                code: "date_before_decision",
                message: "cannot be before the decision",
            });
        }
        if checked
            .last()
            .is_some_and(|prev: &Installment| prev.due_on >= due_on)
        {
            return Err(FieldError {
                field: "due_on",
                code: "dates_out_of_order",
                message: "installments must fall on later and later dates",
            });
        }
        checked.push(Installment { due_on, amount });
    }
    let sum = Fen::checked_sum(checked.iter().map(|i| i.amount)).ok_or(error(
        "plan_sum_mismatch",
        "must add up to the approved amount",
    ))?;
    if sum != total {
        return Err(error(
            "plan_sum_mismatch",
            "must add up to the approved amount",
        ));
    }
    Ok(checked)
}

/// `months` calendar months after a date, keeping the day where the month
/// has it (31 January + 1 month = 28 or 29 February).
pub fn add_months((y, m, d): (i32, u32, u32), months: u32) -> (i32, u32, u32) {
    let index = y as i64 * 12 + (m as i64 - 1) + months as i64;
    let year = index.div_euclid(12) as i32;
    let month = index.rem_euclid(12) as u32 + 1;
    (year, month, d.min(days_in_month(year, month)))
}

/// Splits `total` into `count` installments `every_months` apart from
/// `first_due`, the extra fen going to the first ones; `None` for a bad date
/// or a count of zero.
pub fn split_plan(
    total: Fen,
    count: u32,
    first_due: &str,
    every_months: u32,
) -> Option<Vec<Installment>> {
    let first = parse_date(first_due)?;
    if count == 0 {
        return None;
    }
    Some(
        total
            .split_evenly(count)
            .into_iter()
            .enumerate()
            .map(|(i, amount)| Installment {
                due_on: format_date(add_months(first, every_months * i as u32)),
                amount,
            })
            .collect(),
    )
}

/// The checks of an uploaded scan or photo: size and what the bytes are.
pub const MAX_DOCUMENT_BYTES: usize = 5 * 1024 * 1024;

/// The image type of `bytes` judged by their content (JPEG, PNG or WebP), or why not.
pub fn sniff_image(bytes: &[u8]) -> Result<&'static str, FieldError> {
    let error = |code, message| FieldError {
        field: "file",
        code,
        message,
    };
    if bytes.is_empty() {
        return Err(error("file_empty", "the file is empty"));
    }
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(error("file_too_large", "the file is larger than 5 MiB"));
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Ok("image/png")
    } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Ok("image/webp")
    } else {
        Err(error(
            "not_an_image",
            "must be a photo or scan (JPEG, PNG or WebP)",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Number;

    fn inst(due_on: &str, fen: i64) -> InstallmentInput {
        InstallmentInput {
            due_on: due_on.into(),
            amount_fen: Number::from(fen),
        }
    }

    #[test]
    fn a_plan_adds_up_to_the_approved_amount() {
        let plan = [
            inst("2026-12-01", 1_000_000),
            inst("2027-03-01", 1_000_000),
            inst("2027-06-01", 1_000_000),
        ];
        let checked =
            check_plan(PlanKind::Installments, &plan, Fen(3_000_000), "2026-11-30").unwrap();
        assert_eq!(checked.len(), 3);
        assert_eq!(checked[2].due_on, "2027-06-01");
        let err =
            check_plan(PlanKind::Installments, &plan, Fen(3_000_001), "2026-11-30").unwrap_err();
        assert_eq!(err.code, "plan_sum_mismatch");
    }

    #[test]
    fn a_single_payment_has_one_installment() {
        let one = [inst("2026-12-01", 500)];
        assert!(check_plan(PlanKind::Single, &one, Fen(500), "2026-12-01").is_ok());
        let two = [inst("2026-12-01", 250), inst("2026-12-02", 250)];
        assert_eq!(
            check_plan(PlanKind::Single, &two, Fen(500), "2026-12-01")
                .unwrap_err()
                .code,
            "single_payment_has_one_installment"
        );
        assert_eq!(
            check_plan(PlanKind::Single, &[], Fen(500), "2026-12-01")
                .unwrap_err()
                .code,
            "plan_empty"
        );
    }

    #[test]
    fn bad_installments_are_refused_with_their_field() {
        let cases: [(InstallmentInput, &str, &str); 5] = [
            (inst("2026-11-29", 500), "due_on", "date_before_decision"),
            (inst("2026-02-30", 500), "due_on", "invalid_date"),
            (inst("2026-12-01", 0), "amount_fen", "amount_not_positive"),
            (inst("2026-12-01", -5), "amount_fen", "amount_not_positive"),
            (
                InstallmentInput {
                    due_on: "2026-12-01".into(),
                    amount_fen: Number::from_f64(12.5).unwrap(),
                },
                "amount_fen",
                "fraction_of_fen",
            ),
        ];
        for (input, field, code) in cases {
            let err = check_plan(PlanKind::Single, &[input], Fen(500), "2026-11-30").unwrap_err();
            assert_eq!((err.field, err.code), (field, code));
        }
        let unordered = [inst("2027-01-01", 250), inst("2026-12-01", 250)];
        assert_eq!(
            check_plan(PlanKind::Installments, &unordered, Fen(500), "2026-11-30")
                .unwrap_err()
                .code,
            "dates_out_of_order"
        );
    }

    #[test]
    fn fractions_of_a_fen_and_negatives_are_not_amounts() {
        let f = |v: f64| amount_from_json(&Number::from_f64(v).unwrap(), "amount_fen");
        assert_eq!(f(100.5).unwrap_err().code, "fraction_of_fen");
        assert_eq!(f(100.0).unwrap_err().code, "fraction_of_fen");
        assert_eq!(f(-0.5).unwrap_err().code, "amount_not_positive");
        assert_eq!(amount_from_json(&Number::from(42), "x"), Ok(Fen(42)));
        assert_eq!(
            amount_from_json(&Number::from(u64::MAX), "x")
                .unwrap_err()
                .code,
            "amount_too_large"
        );
    }

    #[test]
    fn the_split_helper_adds_up_and_steps_by_months() {
        let plan = split_plan(Fen(1_000_001), 3, "2027-01-31", 1).unwrap();
        assert_eq!(
            plan.iter().map(|i| i.due_on.as_str()).collect::<Vec<_>>(),
            vec!["2027-01-31", "2027-02-28", "2027-03-31"]
        );
        assert_eq!(
            Fen::checked_sum(plan.iter().map(|i| i.amount)),
            Some(Fen(1_000_001))
        );
        assert_eq!(add_months((2026, 11, 30), 3), (2027, 2, 28));
        assert!(split_plan(Fen(100), 0, "2027-01-01", 1).is_none());
        assert!(split_plan(Fen(100), 2, "someday", 1).is_none());
    }

    #[test]
    fn the_ledger_never_spends_more_than_paid_nor_pays_more_than_approved() {
        let ledger = Ledger {
            approved_fen: 1000,
            ..Ledger::default()
        };
        assert_eq!(ledger.spend(1), Err(LedgerError::OverBalance));
        let ledger = ledger.pay(600).unwrap();
        assert_eq!(ledger.pay(401), Err(LedgerError::OverApproved));
        assert_eq!(ledger.confirm(1), Err(LedgerError::OverSpent));
        let ledger = ledger.spend(600).unwrap();
        assert_eq!(ledger.spend(1), Err(LedgerError::OverBalance));
        assert_eq!(ledger.balance_fen(), 0);
        let ledger = ledger.confirm(600).unwrap();
        assert!(ledger.holds());
        assert_eq!(ledger.pay(0), Err(LedgerError::NotPositive));
        assert_eq!(ledger.unpaid_fen(), 400);
    }

    #[test]
    fn the_next_installment_waits_for_confirmed_spending() {
        let mut ledger = Ledger {
            approved_fen: 900,
            ..Ledger::default()
        };
        assert!(ledger.proof_of_use_complete(), "the first needs no proof");
        ledger = ledger.pay(300).unwrap().spend(300).unwrap();
        assert!(!ledger.proof_of_use_complete(), "spent but not confirmed");
        ledger = ledger.confirm(200).unwrap();
        assert!(!ledger.proof_of_use_complete());
        ledger = ledger.confirm(100).unwrap();
        assert!(ledger.proof_of_use_complete());
    }

    #[test]
    fn who_may_touch_the_money() {
        assert!(may(Role::VillageCommittee, MoneyAction::ConfirmSpending));
        assert!(!may(Role::Officer, MoneyAction::ConfirmSpending));
        assert!(may(Role::Officer, MoneyAction::Pay));
        assert!(!may(Role::VillageCommittee, MoneyAction::Pay));
        assert!(!may(Role::Officer, MoneyAction::ChangeStartedPlan));
        assert!(may(Role::Supervisor, MoneyAction::OverrideRelease));
        for role in [Role::Partner, Role::Admin] {
            assert!(!may(role, MoneyAction::Read));
        }
    }

    #[test]
    fn only_images_within_the_size_limit_are_documents() {
        assert_eq!(sniff_image(&[0xFF, 0xD8, 0xFF, 0xE0, 0]), Ok("image/jpeg"));
        let png = b"\x89PNG\r\n\x1a\n....";
        assert_eq!(sniff_image(png), Ok("image/png"));
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WEBPVP8 "), Ok("image/webp"));
        assert_eq!(sniff_image(b"%PDF-1.7").unwrap_err().code, "not_an_image");
        assert_eq!(sniff_image(b"").unwrap_err().code, "file_empty");
        let big = vec![0xFF; MAX_DOCUMENT_BYTES + 1];
        assert_eq!(sniff_image(&big).unwrap_err().code, "file_too_large");
    }

    #[test]
    fn every_value_has_a_stable_text_that_is_its_json_name() {
        for p in Purpose::ALL {
            assert_eq!(Purpose::parse(p.as_str()), Some(*p));
            assert_eq!(
                serde_json::to_value(p).unwrap(),
                serde_json::json!(p.as_str())
            );
        }
        for s in SpendingStatus::ALL {
            assert_eq!(SpendingStatus::parse(s.as_str()), Some(*s));
        }
        for m in PaymentMethod::ALL {
            assert_eq!(
                serde_json::to_value(m).unwrap(),
                serde_json::json!(m.as_str())
            );
        }
        for k in PlanKind::ALL {
            assert_eq!(PlanKind::parse(k.as_str()), Some(*k));
        }
        for k in DocumentKind::ALL {
            assert_eq!(DocumentKind::parse(k.as_str()), Some(*k));
        }
    }
}
