//! Aid leads (线索) and cases (案件): channels, priority groups, the case
//! states and which role may move a case from one state to the next.

use serde::{Deserialize, Serialize};

use crate::Role;

/// How a lead reached the procuratorate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// 检察长接待
    ChiefReception,
    /// 来信来访
    LettersVisits,
    /// 12309 online platform
    #[serde(rename = "platform_12309")]
    Platform12309,
    /// 12309 hotline
    #[serde(rename = "hotline_12309")]
    Hotline12309,
    /// 案件管理筛查
    CaseScreening,
    /// 内部移送 (names the department in `channel_detail`)
    InternalReferral,
    PoliceLiaison,
    CourtLiaison,
    /// 宣传活动
    Outreach,
    Other,
}

/// Groups the law asks to prioritise. A person can be in several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PriorityGroup {
    Minor,
    /// 建档立卡贫困户 / 防返贫监测户
    PoorHousehold,
    Disabled,
    Veteran,
    /// 因案致贫
    ImpoverishedByCase,
    Other,
}

macro_rules! text_enum {
    ($ty:ty { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$(<$ty>::$variant),+];
            pub const fn as_str(self) -> &'static str {
                match self { $(<$ty>::$variant => $text),+ }
            }
            pub fn parse(text: &str) -> Option<$ty> {
                match text { $($text => Some(<$ty>::$variant),)+ _ => None }
            }
        }
    };
}
pub(crate) use text_enum;

text_enum!(Channel {
    ChiefReception => "chief_reception",
    LettersVisits => "letters_visits",
    Platform12309 => "platform_12309",
    Hotline12309 => "hotline_12309",
    CaseScreening => "case_screening",
    InternalReferral => "internal_referral",
    PoliceLiaison => "police_liaison",
    CourtLiaison => "court_liaison",
    Outreach => "outreach",
    Other => "other",
});

text_enum!(PriorityGroup {
    Minor => "minor",
    PoorHousehold => "poor_household",
    Disabled => "disabled",
    Veteran => "veteran",
    ImpoverishedByCase => "impoverished_by_case",
    Other => "other",
});

text_enum!(CaseState {
    Accepted => "accepted",
    Investigating => "investigating",
    Proposed => "proposed",
    Approved => "approved",
    Refused => "refused",
    Paying => "paying",
    FollowingUp => "following_up",
    Closed => "closed",
    Withdrawn => "withdrawn",
});

text_enum!(CaseAction {
    StartInvestigation => "start_investigation",
    Propose => "propose",
    Approve => "approve",
    Refuse => "refuse",
    StartPayment => "start_payment",
    StartFollowUp => "start_follow_up",
    Close => "close",
    Withdraw => "withdraw",
});

/// Stores a set of priority groups as text ("minor,disabled").
pub fn groups_to_text(groups: &[PriorityGroup]) -> String {
    let mut sorted: Vec<PriorityGroup> = groups.to_vec();
    sorted.sort();
    sorted.dedup();
    sorted
        .iter()
        .map(|g| g.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

pub fn groups_from_text(text: &str) -> Vec<PriorityGroup> {
    text.split(',').filter_map(PriorityGroup::parse).collect()
}

impl PriorityGroup {
    /// The group's bit in a case's `applicant_groups` column. Stored in the
    /// database (migration 0015 writes the same numbers): never renumber,
    /// only add groups at the end.
    pub const fn bit(self) -> i64 {
        match self {
            PriorityGroup::Minor => 1,
            PriorityGroup::PoorHousehold => 2,
            PriorityGroup::Disabled => 4,
            PriorityGroup::Veteran => 8,
            PriorityGroup::ImpoverishedByCase => 16,
            PriorityGroup::Other => 32,
        }
    }
}

/// The bits of every group in a stored group list ("minor,disabled").
pub fn groups_mask(text: &str) -> i64 {
    groups_from_text(text)
        .into_iter()
        .fold(0, |mask, g| mask | g.bit())
}

/// Where a lead stands: waiting for the officer's decision, or decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LeadStatus {
    Open,
    /// Became a case.
    Accepted,
    /// Turned down, with a reason.
    Declined,
}

text_enum!(LeadStatus {
    Open => "open",
    Accepted => "accepted",
    Declined => "declined",
});

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    Accepted,
    Investigating,
    Proposed,
    Approved,
    Refused,
    Paying,
    FollowingUp,
    Closed,
    Withdrawn,
}

impl CaseState {
    /// A case in these states needs no more work.
    pub fn is_final(self) -> bool {
        matches!(self, CaseState::Closed | CaseState::Withdrawn)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CaseAction {
    StartInvestigation,
    /// Propose aid (again, after a refusal): needs an amount and reasoning.
    Propose,
    /// Needs a comment.
    Approve,
    /// Needs a comment; the case goes back to the officer.
    Refuse,
    StartPayment,
    StartFollowUp,
    Close,
    /// Needs a comment (the reason).
    Withdraw,
}

/// Why a transition is not allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("a case that is {state} cannot {action}")]
    WrongState {
        state: &'static str,
        action: &'static str,
    },
    #[error("only {allowed} may {action}")]
    WrongRole {
        allowed: &'static str,
        action: &'static str,
    },
}

impl CaseAction {
    /// The state this action leads to from `from`, if it applies there at all.
    pub fn target(self, from: CaseState) -> Option<CaseState> {
        use CaseAction as A;
        use CaseState as S;
        match (from, self) {
            (S::Accepted, A::StartInvestigation) => Some(S::Investigating),
            (S::Investigating | S::Refused, A::Propose) => Some(S::Proposed),
            (S::Proposed, A::Approve) => Some(S::Approved),
            (S::Proposed, A::Refuse) => Some(S::Refused),
            (S::Approved, A::StartPayment) => Some(S::Paying),
            (S::Paying, A::StartFollowUp) => Some(S::FollowingUp),
            (S::FollowingUp | S::Refused, A::Close) => Some(S::Closed),
            // Once money is moving, a case can no longer be withdrawn.
            (
                S::Accepted | S::Investigating | S::Proposed | S::Refused | S::Approved,
                A::Withdraw,
            ) => Some(S::Withdrawn),
            _ => None,
        }
    }

    /// Which roles may take this action.
    pub fn allowed_roles(self) -> &'static [Role] {
        use CaseAction as A;
        match self {
            A::StartInvestigation | A::Propose | A::StartPayment | A::StartFollowUp => {
                &[Role::Officer]
            }
            A::Approve | A::Refuse => &[Role::Supervisor],
            A::Close | A::Withdraw => &[Role::Officer, Role::Supervisor],
        }
    }

    pub fn needs_amount(self) -> bool {
        self == CaseAction::Propose
    }

    /// Approvals, refusals and withdrawals must say why.
    pub fn needs_comment(self) -> bool {
        matches!(
            self,
            CaseAction::Approve | CaseAction::Refuse | CaseAction::Withdraw
        )
    }
}

/// Checks one transition: the state it leads to, or why not.
pub fn check_transition(
    from: CaseState,
    action: CaseAction,
    role: Role,
) -> Result<CaseState, TransitionError> {
    let to = action.target(from).ok_or(TransitionError::WrongState {
        state: from.as_str(),
        action: action.as_str(),
    })?;
    if !action.allowed_roles().contains(&role) {
        let allowed = if action.allowed_roles() == [Role::Officer] {
            "the case officer"
        } else if action.allowed_roles() == [Role::Supervisor] {
            "a supervisor"
        } else {
            "the case officer or a supervisor"
        };
        return Err(TransitionError::WrongRole {
            allowed,
            action: action.as_str(),
        });
    }
    Ok(to)
}

/// The actions `role` can take on a case in `state`, for showing buttons.
pub fn available_actions(state: CaseState, role: Role) -> Vec<CaseAction> {
    CaseAction::ALL
        .iter()
        .copied()
        .filter(|a| check_transition(state, *a, role).is_ok())
        .collect()
}

/// Largest amount one case can propose: 1,000,000 yuan. Anything above is a typo.
pub const MAX_AID_FEN: i64 = 100_000_000;

/// The rule for a proposed amount of aid, used by the form and the server alike.
pub fn validate_aid_amount(fen: i64) -> Result<(), crate::FieldError> {
    let error = |code, message| {
        Err(crate::FieldError {
            field: "amount_fen",
            code,
            message,
        })
    };
    if fen <= 0 {
        return error("amount_not_positive", "must be more than zero");
    }
    if fen > MAX_AID_FEN {
        return error("amount_too_large", "is larger than any aid can be");
    }
    Ok(())
}

/// 寿检司救受〔2026〕3号
pub fn format_case_number(prefix: &str, year: i32, seq: i64) -> String {
    format!("{prefix}〔{year}〕{seq}号")
}

/// Masks a personal name for lists: 张三 → 张*, 张小明 → 张*明, 欧阳小明 → 欧**明.
pub fn mask_name(name: &str) -> String {
    let chars: Vec<char> = name.trim().chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".into(),
        2 => format!("{}*", chars[0]),
        n => format!("{}{}{}", chars[0], "*".repeat(n - 2), chars[n - 1]),
    }
}

/// Masks a phone number: 138****5678.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 7 {
        return "*".repeat(chars.len());
    }
    let n = chars.len();
    chars[..3]
        .iter()
        .chain(std::iter::repeat_n(&'*', n - 7))
        .chain(chars[n - 4..].iter())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_group_has_its_own_bit() {
        let bits: Vec<i64> = PriorityGroup::ALL.iter().map(|g| g.bit()).collect();
        assert_eq!(bits, vec![1, 2, 4, 8, 16, 32]);
        assert_eq!(groups_mask("minor,disabled"), 5);
        assert_eq!(groups_mask(""), 0);
    }

    #[test]
    fn the_happy_path_runs_from_acceptance_to_closing() {
        let steps = [
            (
                CaseAction::StartInvestigation,
                Role::Officer,
                CaseState::Investigating,
            ),
            (CaseAction::Propose, Role::Officer, CaseState::Proposed),
            (CaseAction::Approve, Role::Supervisor, CaseState::Approved),
            (CaseAction::StartPayment, Role::Officer, CaseState::Paying),
            (
                CaseAction::StartFollowUp,
                Role::Officer,
                CaseState::FollowingUp,
            ),
            (CaseAction::Close, Role::Officer, CaseState::Closed),
        ];
        let mut state = CaseState::Accepted;
        for (action, role, expected) in steps {
            state = check_transition(state, action, role).unwrap();
            assert_eq!(state, expected);
        }
    }

    #[test]
    fn a_refused_proposal_goes_back_to_the_officer_for_revision() {
        let refused =
            check_transition(CaseState::Proposed, CaseAction::Refuse, Role::Supervisor).unwrap();
        assert_eq!(refused, CaseState::Refused);
        assert_eq!(
            check_transition(refused, CaseAction::Propose, Role::Officer),
            Ok(CaseState::Proposed)
        );
    }

    #[test]
    fn officers_cannot_approve_and_supervisors_cannot_propose() {
        assert!(matches!(
            check_transition(CaseState::Proposed, CaseAction::Approve, Role::Officer),
            Err(TransitionError::WrongRole { .. })
        ));
        assert!(matches!(
            check_transition(
                CaseState::Investigating,
                CaseAction::Propose,
                Role::Supervisor
            ),
            Err(TransitionError::WrongRole { .. })
        ));
        for role in [Role::VillageCommittee, Role::Partner, Role::Admin] {
            assert!(available_actions(CaseState::Proposed, role).is_empty());
        }
    }

    #[test]
    fn paid_and_final_cases_cannot_be_withdrawn() {
        for state in [
            CaseState::Paying,
            CaseState::FollowingUp,
            CaseState::Closed,
            CaseState::Withdrawn,
        ] {
            assert!(matches!(
                check_transition(state, CaseAction::Withdraw, Role::Supervisor),
                Err(TransitionError::WrongState { .. })
            ));
        }
        assert!(available_actions(CaseState::Closed, Role::Officer).is_empty());
    }

    #[test]
    fn every_state_and_action_has_a_stable_text() {
        for s in CaseState::ALL {
            assert_eq!(CaseState::parse(s.as_str()), Some(*s));
        }
        for a in CaseAction::ALL {
            assert_eq!(CaseAction::parse(a.as_str()), Some(*a));
        }
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(*c));
            // The JSON name is the stored name.
            assert_eq!(
                serde_json::to_value(c).unwrap(),
                serde_json::json!(c.as_str())
            );
        }
    }

    #[test]
    fn groups_are_stored_sorted_without_repeats() {
        let text = groups_to_text(&[
            PriorityGroup::Disabled,
            PriorityGroup::Minor,
            PriorityGroup::Minor,
        ]);
        assert_eq!(text, "minor,disabled");
        assert_eq!(
            groups_from_text(&text),
            vec![PriorityGroup::Minor, PriorityGroup::Disabled]
        );
        assert!(groups_from_text("").is_empty());
    }

    #[test]
    fn aid_amounts_are_positive_and_sane() {
        assert!(validate_aid_amount(1).is_ok());
        assert!(validate_aid_amount(MAX_AID_FEN).is_ok());
        assert_eq!(
            validate_aid_amount(0).unwrap_err().code,
            "amount_not_positive"
        );
        assert_eq!(
            validate_aid_amount(MAX_AID_FEN + 1).unwrap_err().code,
            "amount_too_large"
        );
    }

    #[test]
    fn names_and_phones_are_masked() {
        assert_eq!(mask_name("张小明"), "张*明");
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳小明"), "欧**明");
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(
            format_case_number("寿检司救受", 2026, 3),
            "寿检司救受〔2026〕3号"
        );
    }
}
