//! Roles and what each may do.

use serde::{Deserialize, Serialize};

/// The kind of account. Each user has exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 承办检察官: logs leads, investigates, proposes aid, follows up.
    Officer,
    /// 部门负责人 / 检察长: approves or refuses, watches statistics.
    Supervisor,
    /// 村委会: bound to one village; confirms how supervised aid is spent.
    VillageCommittee,
    /// A partner agency of the "1+N" network: bound to one agency.
    Partner,
    /// Keeps accounts and reference data.
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Officer,
        Role::Supervisor,
        Role::VillageCommittee,
        Role::Partner,
        Role::Admin,
    ];

    /// The stable text stored in the database and used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Officer => "officer",
            Role::Supervisor => "supervisor",
            Role::VillageCommittee => "village_committee",
            Role::Partner => "partner",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == text)
    }

    /// What a user of this role must be bound to, if anything.
    pub fn scope_kind(self) -> ScopeKind {
        match self {
            Role::VillageCommittee => ScopeKind::Village,
            Role::Partner => ScopeKind::Agency,
            Role::Officer | Role::Supervisor | Role::Admin => ScopeKind::County,
        }
    }

    pub fn can(self, permission: Permission) -> bool {
        use Permission::*;
        match permission {
            ManageUsers => self == Role::Admin,
            ReadAudit => matches!(self, Role::Admin | Role::Supervisor),
            ReadReferenceData => true,
            ReadCases => matches!(self, Role::Officer | Role::Supervisor),
            LogLeads => self == Role::Officer,
            ConfirmGreenChannel => self == Role::Supervisor,
            ManageReferenceData => self == Role::Admin,
            ReadReferrals => matches!(self, Role::Officer | Role::Supervisor | Role::Partner),
            ReferPeople => self == Role::Officer,
            HandleReferrals => self == Role::Partner,
            ReadVisits => matches!(self, Role::Officer | Role::Supervisor),
            RecordVisits => self == Role::Officer,
            EditCaseFacts => matches!(self, Role::Officer | Role::Supervisor),
            ReadAccessLog => self == Role::Supervisor,
            ReadStatistics => self == Role::Supervisor,
            ReadOwnStatistics => matches!(self, Role::Officer | Role::Supervisor),
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How far a user's view reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    /// The whole county.
    County,
    /// Only the user's own village.
    Village,
    /// Only what is addressed to the user's own agency.
    Agency,
}

/// Actions checked by role. Checks that also depend on the data (own village,
/// own agency, assigned officer) are made where the data is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Add, disable and enable users; reset passwords.
    ManageUsers,
    /// Read the audit log.
    ReadAudit,
    /// Read townships, villages and agencies.
    ReadReferenceData,
    /// See leads and cases (full case files, county-wide).
    ReadCases,
    /// Log, accept and decline leads.
    LogLeads,
    /// Confirm an officer's request for the green channel.
    ConfirmGreenChannel,
    /// Add partner agencies and set the services they offer.
    ManageReferenceData,
    /// See referrals: officers and supervisors county-wide, partners only
    /// those addressed to their own agency.
    ReadReferrals,
    /// Record consent and refer a person of one's own case to a partner agency.
    ReferPeople,
    /// Accept, decline and report on referrals addressed to one's agency.
    HandleReferrals,
    /// See field visits, their photos and signatures: supervisors county-wide,
    /// officers only on their own cases.
    ReadVisits,
    /// Record visits (with photos and signature) on one's own cases.
    RecordVisits,
    /// Edit a case's facts (contact, household, needs) and settle conflicting
    /// edits: officers on their own cases, supervisors on any.
    EditCaseFacts,
    /// See break-the-glass grants and who read a protected (child's) case.
    ReadAccessLog,
    /// Statistics of any scope (county, township, village, officer) and their exports.
    ReadStatistics,
    /// Statistics of one's own cases only (scope `officer` with one's own id).
    ReadOwnStatistics,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_text() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn only_admins_manage_users() {
        let managers: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.can(Permission::ManageUsers))
            .collect();
        assert_eq!(managers, vec![Role::Admin]);
    }

    #[test]
    fn supervisors_and_admins_read_the_audit_log() {
        assert!(Role::Supervisor.can(Permission::ReadAudit));
        assert!(Role::Admin.can(Permission::ReadAudit));
        assert!(!Role::Officer.can(Permission::ReadAudit));
        assert!(!Role::VillageCommittee.can(Permission::ReadAudit));
        assert!(!Role::Partner.can(Permission::ReadAudit));
    }

    #[test]
    fn officers_refer_partners_handle_and_village_committees_see_no_referrals() {
        assert!(Role::Officer.can(Permission::ReferPeople));
        assert!(!Role::Supervisor.can(Permission::ReferPeople));
        assert!(Role::Partner.can(Permission::HandleReferrals));
        assert!(!Role::Officer.can(Permission::HandleReferrals));
        assert!(!Role::VillageCommittee.can(Permission::ReadReferrals));
        assert!(!Role::Admin.can(Permission::ReadReferrals));
        assert!(Role::Admin.can(Permission::ManageReferenceData));
        assert!(!Role::Officer.can(Permission::ManageReferenceData));
    }

    #[test]
    fn officers_record_visits_and_only_case_readers_see_them() {
        assert!(Role::Officer.can(Permission::RecordVisits));
        assert!(!Role::Supervisor.can(Permission::RecordVisits));
        for role in [Role::VillageCommittee, Role::Partner, Role::Admin] {
            assert!(!role.can(Permission::ReadVisits));
            assert!(!role.can(Permission::RecordVisits));
            assert!(!role.can(Permission::EditCaseFacts));
        }
        assert!(Role::Officer.can(Permission::EditCaseFacts));
        assert!(Role::Supervisor.can(Permission::EditCaseFacts));
    }

    #[test]
    fn only_supervisors_see_who_read_a_childs_file() {
        let readers: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.can(Permission::ReadAccessLog))
            .collect();
        assert_eq!(readers, vec![Role::Supervisor]);
    }

    #[test]
    fn supervisors_read_all_statistics_and_officers_their_own() {
        assert!(Role::Supervisor.can(Permission::ReadStatistics));
        assert!(!Role::Officer.can(Permission::ReadStatistics));
        assert!(Role::Officer.can(Permission::ReadOwnStatistics));
        for role in [Role::VillageCommittee, Role::Partner, Role::Admin] {
            assert!(!role.can(Permission::ReadStatistics));
            assert!(!role.can(Permission::ReadOwnStatistics));
        }
    }

    #[test]
    fn village_committees_and_partners_are_scoped() {
        assert_eq!(Role::VillageCommittee.scope_kind(), ScopeKind::Village);
        assert_eq!(Role::Partner.scope_kind(), ScopeKind::Agency);
        assert_eq!(Role::Officer.scope_kind(), ScopeKind::County);
    }
}
