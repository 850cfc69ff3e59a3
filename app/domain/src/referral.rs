//! The "1+N" network: the services partner agencies offer, the states of a
//! referral and who may move it, and when a referral is overdue.

use serde::{Deserialize, Serialize};

use crate::case::text_enum;
use crate::Role;

/// What a partner agency can do for a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Service {
    EducationSupport,
    LivingAssistance,
    Counselling,
    LegalAid,
    MedicalHelp,
    EmploymentHelp,
}

text_enum!(Service {
    EducationSupport => "education_support",
    LivingAssistance => "living_assistance",
    Counselling => "counselling",
    LegalAid => "legal_aid",
    MedicalHelp => "medical_help",
    EmploymentHelp => "employment_help",
});

/// The kinds of partner agency (stored in `agencies.kind`).
pub const AGENCY_KINDS: &[&str] = &[
    "education",
    "civil_affairs",
    "legal_aid",
    "youth_care",
    "womens_federation",
    "other",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReferralState {
    /// Sent by the officer, waiting for the agency.
    Sent,
    Accepted,
    /// Turned down by the agency, with a reason. Final.
    Declined,
    InProgress,
    /// The agency recorded the outcome. Final.
    Done,
    /// Taken back by the referring officer, with a reason (e.g. to address
    /// another agency). Final.
    Withdrawn,
}

text_enum!(ReferralState {
    Sent => "sent",
    Accepted => "accepted",
    Declined => "declined",
    InProgress => "in_progress",
    Done => "done",
    Withdrawn => "withdrawn",
});

impl ReferralState {
    /// The states a referral can still move on from (and be overdue in):
    /// every state that is not final, named once for SQL filters.
    pub const UNFINISHED: &'static [ReferralState] = &[
        ReferralState::Sent,
        ReferralState::Accepted,
        ReferralState::InProgress,
    ];

    pub fn is_final(self) -> bool {
        matches!(
            self,
            ReferralState::Declined | ReferralState::Done | ReferralState::Withdrawn
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReferralAction {
    Accept,
    /// Needs a reason.
    Decline,
    /// Needs a note; can be repeated.
    Progress,
    /// Needs the outcome.
    Complete,
    /// The referring officer takes the referral back; needs a reason.
    Withdraw,
}

text_enum!(ReferralAction {
    Accept => "accept",
    Decline => "decline",
    Progress => "progress",
    Complete => "complete",
    Withdraw => "withdraw",
});

impl ReferralAction {
    /// The state this action leads to from `from`, if it applies there at all.
    pub fn target(self, from: ReferralState) -> Option<ReferralState> {
        use ReferralAction as A;
        use ReferralState as S;
        match (from, self) {
            (S::Sent, A::Accept) => Some(S::Accepted),
            (S::Sent, A::Decline) => Some(S::Declined),
            (S::Accepted | S::InProgress, A::Progress) => Some(S::InProgress),
            (S::Accepted | S::InProgress, A::Complete) => Some(S::Done),
            (S::Sent | S::Accepted | S::InProgress, A::Withdraw) => Some(S::Withdrawn),
            _ => None,
        }
    }

    /// The partner agency the referral is addressed to moves it; only the
    /// referring side takes it back. The server checks the agency and the
    /// case's officer, this checks the role.
    pub fn allowed_roles(self) -> &'static [Role] {
        match self {
            ReferralAction::Withdraw => &[Role::Officer],
            _ => &[Role::Partner],
        }
    }

    /// Declining, progress, completion and withdrawal must say something.
    pub fn needs_text(self) -> bool {
        self != ReferralAction::Accept
    }
}

/// Why a referral cannot move.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferralError {
    #[error("a referral that is {state} cannot {action}")]
    WrongState {
        state: &'static str,
        action: &'static str,
    },
    #[error("this role may not {action} a referral")]
    WrongRole { action: &'static str },
}

/// Checks one step: the state it leads to, or why not.
pub fn check_referral_action(
    from: ReferralState,
    action: ReferralAction,
    role: Role,
) -> Result<ReferralState, ReferralError> {
    let to = action.target(from).ok_or(ReferralError::WrongState {
        state: from.as_str(),
        action: action.as_str(),
    })?;
    if !action.allowed_roles().contains(&role) {
        return Err(ReferralError::WrongRole {
            action: action.as_str(),
        });
    }
    Ok(to)
}

/// The actions `role` can take on a referral in `state`, for showing buttons.
pub fn referral_actions(state: ReferralState, role: Role) -> Vec<ReferralAction> {
    ReferralAction::ALL
        .iter()
        .copied()
        .filter(|a| check_referral_action(state, *a, role).is_ok())
        .collect()
}

/// A referral not finished by its due date is overdue the day after.
/// Dates are `YYYY-MM-DD` in China time, so text order is date order.
pub fn is_overdue(state: ReferralState, due_on: &str, today: &str) -> bool {
    !state.is_final() && due_on < today
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_referral_runs_from_sent_to_done_with_repeated_progress() {
        let mut state = ReferralState::Sent;
        for (action, expected) in [
            (ReferralAction::Accept, ReferralState::Accepted),
            (ReferralAction::Progress, ReferralState::InProgress),
            (ReferralAction::Progress, ReferralState::InProgress),
            (ReferralAction::Complete, ReferralState::Done),
        ] {
            state = check_referral_action(state, action, Role::Partner).unwrap();
            assert_eq!(state, expected);
        }
    }

    #[test]
    fn an_accepted_referral_can_be_completed_without_progress_notes() {
        assert_eq!(
            check_referral_action(
                ReferralState::Accepted,
                ReferralAction::Complete,
                Role::Partner
            ),
            Ok(ReferralState::Done)
        );
    }

    #[test]
    fn declined_done_and_withdrawn_are_final() {
        for state in [
            ReferralState::Declined,
            ReferralState::Done,
            ReferralState::Withdrawn,
        ] {
            assert!(state.is_final());
            assert!(referral_actions(state, Role::Partner).is_empty());
        }
    }

    #[test]
    fn only_a_sent_referral_is_accepted_or_declined() {
        for state in [ReferralState::Accepted, ReferralState::InProgress] {
            for action in [ReferralAction::Accept, ReferralAction::Decline] {
                assert!(matches!(
                    check_referral_action(state, action, Role::Partner),
                    Err(ReferralError::WrongState { .. })
                ));
            }
        }
        assert!(matches!(
            check_referral_action(ReferralState::Sent, ReferralAction::Complete, Role::Partner),
            Err(ReferralError::WrongState { .. })
        ));
    }

    #[test]
    fn the_officer_withdraws_an_unfinished_referral_and_nobody_else_does() {
        for state in [
            ReferralState::Sent,
            ReferralState::Accepted,
            ReferralState::InProgress,
        ] {
            assert_eq!(
                check_referral_action(state, ReferralAction::Withdraw, Role::Officer),
                Ok(ReferralState::Withdrawn)
            );
            assert_eq!(
                referral_actions(state, Role::Officer),
                vec![ReferralAction::Withdraw]
            );
            for role in [Role::Partner, Role::Supervisor, Role::Admin] {
                assert!(matches!(
                    check_referral_action(state, ReferralAction::Withdraw, role),
                    Err(ReferralError::WrongRole { .. })
                ));
            }
        }
        for state in [ReferralState::Declined, ReferralState::Done] {
            assert!(matches!(
                check_referral_action(state, ReferralAction::Withdraw, Role::Officer),
                Err(ReferralError::WrongState { .. })
            ));
        }
    }

    #[test]
    fn only_partners_accept_decline_and_report() {
        for role in [
            Role::Officer,
            Role::Supervisor,
            Role::VillageCommittee,
            Role::Admin,
        ] {
            assert!(matches!(
                check_referral_action(ReferralState::Sent, ReferralAction::Accept, role),
                Err(ReferralError::WrongRole { .. })
            ));
        }
        for role in [Role::Supervisor, Role::VillageCommittee, Role::Admin] {
            assert!(referral_actions(ReferralState::Sent, role).is_empty());
        }
        assert_eq!(
            referral_actions(ReferralState::Sent, Role::Partner),
            vec![ReferralAction::Accept, ReferralAction::Decline]
        );
    }

    #[test]
    fn unfinished_is_exactly_the_states_that_are_not_final() {
        let not_final: Vec<ReferralState> = ReferralState::ALL
            .iter()
            .copied()
            .filter(|s| !s.is_final())
            .collect();
        assert_eq!(ReferralState::UNFINISHED, not_final.as_slice());
    }

    #[test]
    fn overdue_means_unfinished_after_the_due_date() {
        assert!(!is_overdue(ReferralState::Sent, "2026-11-30", "2026-11-30"));
        assert!(is_overdue(ReferralState::Sent, "2026-11-29", "2026-11-30"));
        assert!(is_overdue(
            ReferralState::InProgress,
            "2025-12-31",
            "2026-01-01"
        ));
        assert!(!is_overdue(ReferralState::Done, "2026-11-01", "2026-11-30"));
        assert!(!is_overdue(
            ReferralState::Declined,
            "2026-11-01",
            "2026-11-30"
        ));
        assert!(!is_overdue(
            ReferralState::Withdrawn,
            "2026-11-01",
            "2026-11-30"
        ));
    }

    #[test]
    fn every_value_has_a_stable_text_that_is_its_json_name() {
        for s in Service::ALL {
            assert_eq!(Service::parse(s.as_str()), Some(*s));
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::json!(s.as_str())
            );
        }
        for s in ReferralState::ALL {
            assert_eq!(ReferralState::parse(s.as_str()), Some(*s));
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::json!(s.as_str())
            );
        }
        for a in ReferralAction::ALL {
            assert_eq!(ReferralAction::parse(a.as_str()), Some(*a));
        }
    }
}
