//! Need to know: who sees a case's personal details in full, which cases are
//! protected, and the words of grants and the read log (README "Privacy").

use serde::{Deserialize, Serialize};

use crate::case::PriorityGroup;
use crate::Role;

/// Default lifetime of a break-the-glass grant.
pub const DEFAULT_BREAK_GLASS_HOURS: i64 = 3;
/// Default lifetime of a full-disclosure grant (print in full, export in full):
/// long enough to open the print view and print it.
pub const DEFAULT_DISCLOSURE_MINUTES: i64 = 15;
/// A stated reason or purpose must say something: at least this many characters.
pub const MIN_REASON_CHARS: usize = 10;
/// And not more than this.
pub const MAX_REASON_CHARS: usize = 1000;

/// Is this viewer in the team of a case assigned to `officer_id`?
///
/// The team is the assigned officer and the approving supervisors. Supervisors
/// (部门负责人、检察长) are county-wide (`ScopeKind::County`) and any of them
/// may approve or refuse any case of the county, so every supervisor is an
/// approving supervisor. The team sees names, ID numbers and phone numbers in
/// full on the case page; everyone else sees them masked.
pub fn in_case_team(role: Role, user_id: i64, officer_id: i64) -> bool {
    match role {
        Role::Supervisor => true,
        Role::Officer => user_id == officer_id,
        Role::VillageCommittee | Role::Partner | Role::Admin => false,
    }
}

/// Does this viewer see a lead's people in full?
///
/// Leads are a shared intake pool: every officer may read, accept or decline
/// any open lead, but only those who need the details see them in full — the
/// officer who recorded the lead, the officer assigned the case it became
/// (`assigned_officer`), and supervisors. Everyone else sees names, ID
/// numbers and phone numbers masked.
pub fn sees_lead_in_full(
    role: Role,
    user_id: i64,
    recorded_by: i64,
    assigned_officer: Option<i64>,
) -> bool {
    match role {
        Role::Supervisor => true,
        Role::Officer => user_id == recorded_by || assigned_officer == Some(user_id),
        Role::VillageCommittee | Role::Partner | Role::Admin => false,
    }
}

/// May this role read the audit trail of this kind of entity? Audit entries
/// of cases and of everything inside them (leads, facts, consents, referrals,
/// visits, money, grants) carry what was changed — phones and names included
/// — so beside supervisors, the administrator (who reads no case files) sees
/// only the trails of accounts and agencies, which he manages.
pub fn may_read_audit_of(role: Role, entity_type: &str) -> bool {
    match role {
        Role::Supervisor => true,
        Role::Admin => matches!(entity_type, "user" | "agency"),
        Role::Officer | Role::VillageCommittee | Role::Partner => false,
    }
}

/// A case is protected when a child is in it: the applicant or the agent is
/// recorded in the `minor` priority group.
pub fn is_protected<'a>(groups: impl IntoIterator<Item = &'a [PriorityGroup]>) -> bool {
    groups
        .into_iter()
        .any(|g| g.contains(&PriorityGroup::Minor))
}

/// Checks a stated reason or purpose: trimmed, at least [`MIN_REASON_CHARS`].
pub fn check_reason(text: &str) -> Result<String, ReasonError> {
    let t = text.trim();
    let n = t.chars().count();
    if n < MIN_REASON_CHARS {
        Err(ReasonError::TooShort)
    } else if n > MAX_REASON_CHARS {
        Err(ReasonError::TooLong)
    } else {
        Ok(t.to_string())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReasonError {
    TooShort,
    TooLong,
}

/// What a grant allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GrantKind {
    /// Break-the-glass: open a protected case outside its team.
    CaseAccess,
    /// Print a case in full.
    Print,
    /// Export in full.
    Export,
}

crate::case::text_enum!(GrantKind {
    CaseAccess => "case_access",
    Print => "print",
    Export => "export",
});

/// What was read, in the read log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReadKind {
    CasePage,
    Photo,
    Document,
    Print,
    Export,
    /// The money section: plan, payments, spending, supervision agreement.
    Money,
}

crate::case::text_enum!(ReadKind {
    CasePage => "case_page",
    Photo => "photo",
    Document => "document",
    Print => "print",
    Export => "export",
    Money => "money",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_team_is_the_assigned_officer_and_the_supervisors() {
        assert!(in_case_team(Role::Officer, 7, 7));
        assert!(!in_case_team(Role::Officer, 8, 7));
        assert!(in_case_team(Role::Supervisor, 3, 7));
        for role in [Role::VillageCommittee, Role::Partner, Role::Admin] {
            assert!(!in_case_team(role, 7, 7));
        }
    }

    #[test]
    fn a_lead_in_full_for_who_recorded_it_who_was_assigned_and_supervisors() {
        assert!(sees_lead_in_full(Role::Officer, 7, 7, None));
        assert!(sees_lead_in_full(Role::Officer, 8, 7, Some(8)));
        assert!(!sees_lead_in_full(Role::Officer, 9, 7, Some(8)));
        assert!(!sees_lead_in_full(Role::Officer, 9, 7, None));
        assert!(sees_lead_in_full(Role::Supervisor, 3, 7, None));
        for role in [Role::VillageCommittee, Role::Partner, Role::Admin] {
            assert!(!sees_lead_in_full(role, 7, 7, Some(7)));
        }
    }

    #[test]
    fn the_administrator_reads_the_audit_of_accounts_and_agencies_only() {
        for entity in ["case", "lead", "referral", "money_plan", "access_grant"] {
            assert!(may_read_audit_of(Role::Supervisor, entity));
            assert!(!may_read_audit_of(Role::Admin, entity), "{entity}");
        }
        assert!(may_read_audit_of(Role::Admin, "user"));
        assert!(may_read_audit_of(Role::Admin, "agency"));
        assert!(!may_read_audit_of(Role::Officer, "user"));
    }

    #[test]
    fn a_case_with_a_minor_is_protected() {
        let minor = [PriorityGroup::Minor, PriorityGroup::PoorHousehold];
        let adult = [PriorityGroup::Disabled];
        assert!(is_protected([&adult[..], &minor[..]]));
        assert!(!is_protected([&adult[..], &[][..]]));
    }

    #[test]
    fn a_reason_must_say_something() {
        assert_eq!(check_reason("  太短  "), Err(ReasonError::TooShort));
        assert_eq!(
            check_reason(" 代班处理该案回访，需核实监护人联系方式 ").as_deref(),
            Ok("代班处理该案回访，需核实监护人联系方式")
        );
        assert_eq!(check_reason(&"长".repeat(1001)), Err(ReasonError::TooLong));
    }

    #[test]
    fn kinds_round_trip_through_their_text() {
        for k in GrantKind::ALL {
            assert_eq!(GrantKind::parse(k.as_str()), Some(*k));
        }
        for k in ReadKind::ALL {
            assert_eq!(GrantKind::parse("x"), None);
            assert_eq!(ReadKind::parse(k.as_str()), Some(*k));
        }
    }
}
