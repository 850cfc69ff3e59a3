//! The facts of a case an officer keeps up to date in the field (contact,
//! address, household, needs), the three-way merge that decides what happens
//! when an edit made offline meets changes someone else made meanwhile, and
//! the API shapes of both, plus the same-person check for new leads.
//!
//! An edit carries the values the phone last saw (`base`) and what the
//! officer changed. Per field: changed on one side only, the change wins;
//! changed on both sides to the same value, nothing to decide; changed on
//! both sides differently, the server keeps its value and the field goes to
//! a conflict list where the officer or a supervisor chooses.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::case::text_enum;
use crate::FieldError;

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// One editable fact of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FactField {
    /// The applicant's contact phone (the person's `phone`).
    Phone,
    Address,
    HouseholdMembers,
    /// Fen.
    MonthlyIncomeFen,
    Dependants,
    Hardship,
    Needs,
}

text_enum!(FactField {
    Phone => "phone",
    Address => "address",
    HouseholdMembers => "household_members",
    MonthlyIncomeFen => "monthly_income_fen",
    Dependants => "dependants",
    Hardship => "hardship",
    Needs => "needs",
});

impl FactField {
    /// Integers; the others are text.
    pub fn is_number(self) -> bool {
        matches!(
            self,
            FactField::HouseholdMembers | FactField::MonthlyIncomeFen | FactField::Dependants
        )
    }

    /// The request field an error names, e.g. `changes.phone`.
    fn request_field(self, side: Side) -> &'static str {
        use FactField::*;
        match (side, self) {
            (Side::Base, Phone) => "base.phone",
            (Side::Base, Address) => "base.address",
            (Side::Base, HouseholdMembers) => "base.household_members",
            (Side::Base, MonthlyIncomeFen) => "base.monthly_income_fen",
            (Side::Base, Dependants) => "base.dependants",
            (Side::Base, Hardship) => "base.hardship",
            (Side::Base, Needs) => "base.needs",
            (Side::Changes, Phone) => "changes.phone",
            (Side::Changes, Address) => "changes.address",
            (Side::Changes, HouseholdMembers) => "changes.household_members",
            (Side::Changes, MonthlyIncomeFen) => "changes.monthly_income_fen",
            (Side::Changes, Dependants) => "changes.dependants",
            (Side::Changes, Hardship) => "changes.hardship",
            (Side::Changes, Needs) => "changes.needs",
        }
    }
}

/// Which part of an edit a value came from, for naming the field at fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Base,
    Changes,
}

/// The editable facts of a case; every one may be unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CaseFacts {
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub household_members: Option<i64>,
    /// The household's monthly income, in fen.
    #[serde(default)]
    pub monthly_income_fen: Option<i64>,
    #[serde(default)]
    pub dependants: Option<i64>,
    #[serde(default)]
    pub hardship: Option<String>,
    #[serde(default)]
    pub needs: Option<String>,
}

impl CaseFacts {
    /// One field's value as JSON: a string, an integer, or null.
    pub fn get(&self, field: FactField) -> Value {
        let text = |v: &Option<String>| v.clone().map(Value::String).unwrap_or(Value::Null);
        let number = |v: Option<i64>| v.map(Value::from).unwrap_or(Value::Null);
        match field {
            FactField::Phone => text(&self.phone),
            FactField::Address => text(&self.address),
            FactField::HouseholdMembers => number(self.household_members),
            FactField::MonthlyIncomeFen => number(self.monthly_income_fen),
            FactField::Dependants => number(self.dependants),
            FactField::Hardship => text(&self.hardship),
            FactField::Needs => text(&self.needs),
        }
    }

    /// Sets one field from a JSON value of its kind; false (and unchanged) when the kind is wrong.
    pub fn set(&mut self, field: FactField, value: &Value) -> bool {
        fn text(slot: &mut Option<String>, value: &Value) -> bool {
            match value {
                Value::Null => *slot = None,
                Value::String(s) => *slot = Some(s.clone()),
                _ => return false,
            }
            true
        }
        fn number(slot: &mut Option<i64>, value: &Value) -> bool {
            match value {
                Value::Null => *slot = None,
                Value::Number(n) if n.as_i64().is_some() => *slot = n.as_i64(),
                _ => return false,
            }
            true
        }
        match field {
            FactField::Phone => text(&mut self.phone, value),
            FactField::Address => text(&mut self.address, value),
            FactField::HouseholdMembers => number(&mut self.household_members, value),
            FactField::MonthlyIncomeFen => number(&mut self.monthly_income_fen, value),
            FactField::Dependants => number(&mut self.dependants, value),
            FactField::Hardship => text(&mut self.hardship, value),
            FactField::Needs => text(&mut self.needs, value),
        }
    }

    /// These facts with the changes laid over them.
    pub fn with_changes(&self, changes: &FactChanges) -> CaseFacts {
        let mut out = self.clone();
        for (field, value) in changes.fields() {
            // A value of the wrong kind cannot come out of `FactChanges`.
            out.set(field, &value);
        }
        out
    }
}

/// Keeps "absent" (not changed) apart from `null` (cleared).
fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// What the officer changed: only the fields named; `null` clears one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FactChanges {
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, nullable))]
    pub phone: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, nullable))]
    pub address: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>, nullable))]
    pub household_members: Option<Option<i64>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>, nullable))]
    pub monthly_income_fen: Option<Option<i64>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>, nullable))]
    pub dependants: Option<Option<i64>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, nullable))]
    pub hardship: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, nullable))]
    pub needs: Option<Option<String>>,
}

impl FactChanges {
    /// The fields named, with their new values as JSON.
    pub fn fields(&self) -> Vec<(FactField, Value)> {
        let text = |v: &Option<Option<String>>| {
            v.as_ref()
                .map(|v| v.clone().map(Value::String).unwrap_or(Value::Null))
        };
        let number = |v: &Option<Option<i64>>| {
            v.as_ref()
                .map(|v| v.map(Value::from).unwrap_or(Value::Null))
        };
        [
            (FactField::Phone, text(&self.phone)),
            (FactField::Address, text(&self.address)),
            (FactField::HouseholdMembers, number(&self.household_members)),
            (
                FactField::MonthlyIncomeFen,
                number(&self.monthly_income_fen),
            ),
            (FactField::Dependants, number(&self.dependants)),
            (FactField::Hardship, text(&self.hardship)),
            (FactField::Needs, text(&self.needs)),
        ]
        .into_iter()
        .filter_map(|(f, v)| v.map(|v| (f, v)))
        .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.fields().is_empty()
    }
}

/// An edit made on a phone, sent under an id (UUID) the phone made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FactEdit {
    /// The facts as the phone last saw them.
    pub base: CaseFacts,
    /// What the officer changed.
    pub changes: FactChanges,
}

/// A field changed on both sides to different values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub field: FactField,
    pub base: Value,
    pub mine: Value,
    pub theirs: Value,
}

/// What a three-way merge decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merge {
    /// Theirs with every one-side change of mine applied; conflicting fields keep theirs.
    pub merged: CaseFacts,
    /// Fields whose value changed from theirs to mine.
    pub applied: Vec<FactField>,
    pub conflicts: Vec<Conflict>,
}

/// Three-way merge per field of `mine` (base plus the officer's changes) into
/// `theirs` (what the server holds now), both descended from `base`.
pub fn merge(base: &CaseFacts, mine: &CaseFacts, theirs: &CaseFacts) -> Merge {
    let mut merged = theirs.clone();
    let mut applied = Vec::new();
    let mut conflicts = Vec::new();
    for field in FactField::ALL.iter().copied() {
        let (b, m, t) = (base.get(field), mine.get(field), theirs.get(field));
        if m == b || m == t {
            // Untouched by me, or both made the same change: theirs stands.
            continue;
        }
        if t == b {
            merged.set(field, &m);
            applied.push(field);
        } else {
            conflicts.push(Conflict {
                field,
                base: b,
                mine: m,
                theirs: t,
            });
        }
    }
    Merge {
        merged,
        applied,
        conflicts,
    }
}

pub const MAX_ADDRESS_CHARS: usize = 200;
pub const MAX_FACT_TEXT_CHARS: usize = 2000;

/// A phone number as people write them: digits, spaces, `-` and `+`, at most 20.
pub fn is_phone_number(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 20
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || c == '-' || c == '+' || c == ' ')
}

/// Checks one value for a field and returns it trimmed (empty text becomes null).
pub fn check_value(field: FactField, value: &Value, side: Side) -> Result<Value, FieldError> {
    let name = field.request_field(side);
    let error = |code, message| FieldError {
        field: name,
        code,
        message,
    };
    match value {
        Value::Null => Ok(Value::Null),
        Value::String(s) if !field.is_number() => {
            let t = s.trim();
            if t.is_empty() {
                return Ok(Value::Null);
            }
            let max = match field {
                FactField::Phone => 20,
                FactField::Address => MAX_ADDRESS_CHARS,
                _ => MAX_FACT_TEXT_CHARS,
            };
            if t.chars().count() > max {
                return Err(error("too_long", "is too long"));
            }
            if field == FactField::Phone && !is_phone_number(t) {
                return Err(error("phone_format", "must be a phone number"));
            }
            Ok(Value::String(t.to_string()))
        }
        Value::Number(n) if field.is_number() => {
            let n = n.as_i64().ok_or(error("out_of_range", "is out of range"))?;
            let max = if field == FactField::MonthlyIncomeFen {
                100_000_000
            } else {
                100
            };
            if !(0..=max).contains(&n) {
                return Err(error("out_of_range", "is out of range"));
            }
            Ok(Value::from(n))
        }
        _ => Err(error("wrong_type", "has the wrong type")),
    }
}

fn check_facts(facts: &CaseFacts, side: Side) -> Result<CaseFacts, FieldError> {
    let mut out = CaseFacts::default();
    for field in FactField::ALL.iter().copied() {
        out.set(field, &check_value(field, &facts.get(field), side)?);
    }
    Ok(out)
}

/// Checks an edit; returns it with every value trimmed, so that a replay of
/// the same edit compares equal and blank text means "unknown".
pub fn validate_edit(edit: &FactEdit) -> Result<FactEdit, FieldError> {
    let base = check_facts(&edit.base, Side::Base)?;
    if edit.changes.is_empty() {
        return Err(FieldError {
            field: "changes",
            code: "required",
            message: "change at least one fact",
        });
    }
    let mut changes = FactChanges::default();
    for (field, value) in edit.changes.fields() {
        let value = check_value(field, &value, Side::Changes)?;
        let text = || value.as_str().map(str::to_string);
        let number = || value.as_i64();
        match field {
            FactField::Phone => changes.phone = Some(text()),
            FactField::Address => changes.address = Some(text()),
            FactField::HouseholdMembers => changes.household_members = Some(number()),
            FactField::MonthlyIncomeFen => changes.monthly_income_fen = Some(number()),
            FactField::Dependants => changes.dependants = Some(number()),
            FactField::Hardship => changes.hardship = Some(text()),
            FactField::Needs => changes.needs = Some(text()),
        }
    }
    Ok(FactEdit { base, changes })
}

/// Which version a conflict is settled with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FactChoice {
    /// The value of the edit that met the conflict.
    Mine,
    /// The value the server holds.
    Theirs,
}

text_enum!(FactChoice {
    Mine => "mine",
    Theirs => "theirs",
});

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResolveConflict {
    pub choice: FactChoice,
}

/// How a conflict was settled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FactResolution {
    pub choice: FactChoice,
    pub by: crate::api::NamedRef,
    pub at: i64,
}

/// A field changed on both sides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FactConflictView {
    pub id: i64,
    pub case_id: i64,
    /// The edit (its id made on the phone) that met the conflict.
    pub edit_id: String,
    pub field: FactField,
    /// What the phone had seen.
    #[cfg_attr(feature = "openapi", schema(value_type = Object, nullable))]
    pub base: Value,
    /// What the edit wanted.
    #[cfg_attr(feature = "openapi", schema(value_type = Object, nullable))]
    pub mine: Value,
    /// What the server held when the edit arrived.
    #[cfg_attr(feature = "openapi", schema(value_type = Object, nullable))]
    pub theirs: Value,
    /// Who sent the edit.
    pub raised_by: crate::api::NamedRef,
    pub raised_at: i64,
    pub resolution: Option<FactResolution>,
}

/// The answer to an edit: the facts after the merge and the fields in conflict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FactEditResult {
    pub edit_id: String,
    pub facts: CaseFacts,
    /// Fields the edit changed.
    pub applied: Vec<FactField>,
    /// Fields changed on both sides: the server kept its value until someone chooses.
    pub conflicts: Vec<FactConflictView>,
}

/// The facts of a case, its open conflicts, and what the viewer may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CaseFactsView {
    pub case_id: i64,
    pub facts: CaseFacts,
    /// Oldest first.
    pub conflicts: Vec<FactConflictView>,
    /// The viewer may edit the facts (the case's officer or a supervisor, case not over).
    pub can_edit: bool,
    /// The viewer may settle conflicts.
    pub can_resolve: bool,
}

/// Whether the same person may already be known, found while a new lead is typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PersonMatch {
    /// "lead" or "case"
    pub kind: String,
    pub id: i64,
    /// The case number, or the date the lead came in.
    pub label: String,
    /// Masked (张*明).
    pub person_name: String,
    pub village: String,
    /// The lead's status or the case's state.
    pub status: String,
    /// "id_number" or "name_village"
    pub matched_by: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn facts() -> CaseFacts {
        CaseFacts {
            phone: Some("13800001111".into()),
            address: Some("正阳村三组".into()),
            household_members: Some(4),
            monthly_income_fen: Some(150_000),
            dependants: Some(2),
            hardship: Some("父亲重伤".into()),
            needs: None,
        }
    }

    #[test]
    fn untouched_fields_keep_the_servers_values() {
        let base = facts();
        let mut theirs = facts();
        theirs.address = Some("正阳村四组".into());
        let m = merge(&base, &base, &theirs);
        assert_eq!(m.merged, theirs);
        assert!(m.applied.is_empty());
        assert!(m.conflicts.is_empty());
    }

    #[test]
    fn a_change_on_one_side_only_is_applied() {
        let base = facts();
        let mut mine = facts();
        mine.phone = Some("13900002222".into());
        mine.needs = Some("学费".into());
        let mut theirs = facts();
        theirs.household_members = Some(5);
        let m = merge(&base, &mine, &theirs);
        assert_eq!(m.applied, vec![FactField::Phone, FactField::Needs]);
        assert!(m.conflicts.is_empty());
        assert_eq!(m.merged.phone.as_deref(), Some("13900002222"));
        assert_eq!(m.merged.needs.as_deref(), Some("学费"));
        assert_eq!(m.merged.household_members, Some(5), "their change stays");
    }

    #[test]
    fn the_same_change_on_both_sides_is_no_conflict() {
        let base = facts();
        let mut mine = facts();
        mine.dependants = Some(3);
        let theirs = mine.clone();
        let m = merge(&base, &mine, &theirs);
        assert!(m.conflicts.is_empty());
        assert!(m.applied.is_empty(), "nothing left to change");
        assert_eq!(m.merged.dependants, Some(3));
    }

    #[test]
    fn different_changes_on_both_sides_conflict_and_theirs_stays() {
        let base = facts();
        let mut mine = facts();
        mine.monthly_income_fen = Some(80_000);
        mine.address = None;
        let mut theirs = facts();
        theirs.monthly_income_fen = Some(120_000);
        let m = merge(&base, &mine, &theirs);
        assert_eq!(m.applied, vec![FactField::Address]);
        assert_eq!(
            m.conflicts,
            vec![Conflict {
                field: FactField::MonthlyIncomeFen,
                base: json!(150_000),
                mine: json!(80_000),
                theirs: json!(120_000),
            }]
        );
        assert_eq!(m.merged.monthly_income_fen, Some(120_000));
        assert_eq!(m.merged.address, None);
    }

    #[test]
    fn changes_tell_absent_from_cleared() {
        let edit: FactEdit = serde_json::from_value(json!({
            "base": { "phone": "138 0000 1111", "needs": "学费" },
            "changes": { "needs": null, "household_members": 3 }
        }))
        .unwrap();
        assert_eq!(edit.changes.phone, None);
        assert_eq!(edit.changes.needs, Some(None));
        let mine = edit.base.with_changes(&edit.changes);
        assert_eq!(mine.needs, None);
        assert_eq!(mine.household_members, Some(3));
        assert_eq!(mine.phone.as_deref(), Some("138 0000 1111"));
        // Serialising keeps the difference, so a replay compares equal.
        let again: FactEdit = serde_json::from_str(&serde_json::to_string(&edit).unwrap()).unwrap();
        assert_eq!(again, edit);
    }

    #[test]
    fn edits_are_trimmed_and_bad_values_name_their_field() {
        let edit = FactEdit {
            base: CaseFacts {
                address: Some("  ".into()),
                ..facts()
            },
            changes: FactChanges {
                hardship: Some(Some(" 债务 ".into())),
                ..Default::default()
            },
        };
        let checked = validate_edit(&edit).unwrap();
        assert_eq!(checked.base.address, None);
        assert_eq!(checked.changes.hardship, Some(Some("债务".into())));

        let bad = |changes: FactChanges| {
            validate_edit(&FactEdit {
                base: facts(),
                changes,
            })
        };
        let e = bad(FactChanges {
            phone: Some(Some("call me".into())),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!((e.field, e.code), ("changes.phone", "phone_format"));
        let e = bad(FactChanges {
            dependants: Some(Some(-1)),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(e.field, "changes.dependants");
        assert_eq!(bad(FactChanges::default()).unwrap_err().field, "changes");
        let e = validate_edit(&FactEdit {
            base: CaseFacts {
                monthly_income_fen: Some(-5),
                ..facts()
            },
            changes: FactChanges {
                needs: Some(None),
                ..Default::default()
            },
        })
        .unwrap_err();
        assert_eq!(e.field, "base.monthly_income_fen");
    }

    #[test]
    fn every_field_has_a_stable_text_that_is_its_json_name() {
        for f in FactField::ALL {
            assert_eq!(FactField::parse(f.as_str()), Some(*f));
            assert_eq!(serde_json::to_value(f).unwrap(), json!(f.as_str()));
            // Each field's value goes in and out unchanged.
            let mut x = CaseFacts::default();
            let v = if f.is_number() { json!(7) } else { json!("x") };
            assert!(x.set(*f, &v));
            assert_eq!(x.get(*f), v);
            assert!(!x.set(*f, &json!(true)));
        }
    }
}
