//! Leads and cases: intake, duplicate warnings, acceptance, the state machine.

use domain::api::{
    AcceptLead, CaseDetail, CaseEvent, CasePage, CaseSummary, DeclineGreenChannel, DeclineLead,
    DuplicateHit, LeadView, NamedRef, NewLead, PersonInput, PersonView, TransitionRequest,
};
use domain::case::{
    available_actions, check_transition, format_case_number, groups_from_text, groups_mask,
    groups_to_text, mask_name, mask_phone, validate_aid_amount, CaseAction, CaseState, Channel,
    LeadStatus, TransitionError,
};
use domain::clock::stage_spans;
use domain::date::{china_date, format_date, parse_date};
use domain::idcard::{mask_id_number, ResidentId};
use domain::{FieldError, Permission, Role};
use serde_json::json;

use super::audit::{self, Change};
use super::rollup;
use super::{Actor, ServiceError, ServiceResult};
use crate::config::AppConfig;
use crate::storage::cases::{
    self as store, CaseFilter, CaseListRow, CaseRow, LeadRow, NewCaseRow, NewEvent, NewLeadRow,
    NewPerson, OverdueFilter, PersonRow,
};
use crate::storage::{self, now_ms, Db, Tx};

pub(crate) fn invalid(
    field: &'static str,
    code: &'static str,
    message: &'static str,
) -> ServiceError {
    ServiceError::Invalid(FieldError {
        field,
        code,
        message,
    })
}

pub(crate) fn trimmed(text: &str, field: &'static str, max_chars: usize) -> ServiceResult<String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(invalid(field, "required", "must not be empty"));
    }
    if t.chars().count() > max_chars {
        return Err(invalid(field, "too_long", "is too long"));
    }
    Ok(t.to_string())
}

pub(crate) fn optional(text: &Option<String>) -> Option<String> {
    text.as_ref()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// Whether this viewer sees a case's names, ID numbers and phone numbers in
/// full: its team, i.e. the assigned officer and the approving supervisors
/// (`domain::privacy::in_case_team`).
fn sees_full_details(actor: &Actor, officer_id: i64) -> bool {
    domain::privacy::in_case_team(actor.role, actor.user_id, officer_id)
}

/// A person with ID number and phone in full, or masked; the name is left
/// as it is, for the callers to mask ([`case_person`] does both).
fn person_view(row: PersonRow, full: bool) -> PersonView {
    PersonView {
        id: row.id,
        name: row.name,
        id_number: row
            .id_number
            .map(|n| if full { n } else { mask_id_number(&n) }),
        village: NamedRef {
            id: row.village_id,
            name: row.village_name,
        },
        phone: row.phone.map(|p| if full { p } else { mask_phone(&p) }),
        priority_groups: groups_from_text(&row.priority_groups),
    }
}

/// A person on the case page or a lead's page: in full for those who need
/// to know, else masked, name included.
fn case_person(row: PersonRow, full: bool) -> PersonView {
    if full {
        person_view(row, true)
    } else {
        PersonView {
            name: mask_name(&row.name),
            ..person_view(row, false)
        }
    }
}

fn channel(text: &str) -> ServiceResult<Channel> {
    Channel::parse(text)
        .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("unknown channel in database")))
}

fn state(text: &str) -> ServiceResult<CaseState> {
    CaseState::parse(text)
        .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("unknown case state in database")))
}

// ---- Leads ---------------------------------------------------------------

/// Logs a lead. When a person already has an open lead or case, nothing is
/// written and the hits come back (409) unless `confirm_duplicate` is set.
#[tracing::instrument(skip_all, fields(channel = input.channel.as_str()))]
pub async fn create_lead(db: &Db, actor: &Actor, input: NewLead) -> Result<LeadView, LeadError> {
    actor.require(Permission::LogLeads)?;
    let mut tx = db.begin().await?;
    let lead_id = create_lead_in(&mut tx, actor, input).await?;
    tx.commit().await?;
    Ok(get_lead(db, actor, lead_id).await?)
}

/// [`create_lead`]'s checks and writes inside the caller's transaction, so
/// another use case (a screening flag becoming a lead) commits both or neither.
/// The caller has checked the permission. Returns the new lead's id.
pub(crate) async fn create_lead_in(
    tx: &mut Tx,
    actor: &Actor,
    input: NewLead,
) -> Result<i64, LeadError> {
    let channel_detail = optional(&input.channel_detail);
    if input.channel == Channel::InternalReferral && channel_detail.is_none() {
        return Err(invalid(
            "channel_detail",
            "department_required",
            "name the referring department",
        )
        .into());
    }
    let received = parse_date(&input.received_on)
        .ok_or_else(|| invalid("received_on", "invalid_date", "must be a date YYYY-MM-DD"))?;
    if received > china_date(now_ms()) {
        return Err(invalid("received_on", "date_in_future", "cannot be in the future").into());
    }
    let reporter = trimmed(&input.reporter, "reporter", 100)?;
    let summary = trimmed(&input.summary, "summary", 4000)?;
    if input.people.is_empty() || input.people.len() > 20 {
        return Err(invalid("people", "people_required", "name 1 to 20 people").into());
    }
    let people = input
        .people
        .iter()
        .map(check_person)
        .collect::<ServiceResult<Vec<_>>>()?;

    let now = now_ms();
    for person in &people {
        if !storage::places::village_exists(tx, person.village_id).await? {
            return Err(invalid("village_id", "unknown_village", "no such village").into());
        }
    }
    if !input.confirm_duplicate {
        let mut hits = Vec::new();
        for person in &people {
            for row in store::find_duplicates(
                tx,
                person.id_number.as_deref(),
                &person.name,
                person.village_id,
            )
            .await?
            {
                hits.push(DuplicateHit {
                    person_name: row.person_name,
                    kind: row.kind,
                    id: row.id,
                    label: row.label,
                });
            }
        }
        if !hits.is_empty() {
            return Err(LeadError::PossibleDuplicate(hits));
        }
    }
    let received_on = format_date(received);
    let lead_id = store::insert_lead(
        tx,
        &NewLeadRow {
            channel: input.channel.as_str(),
            channel_detail: channel_detail.as_deref(),
            received_on: &received_on,
            reporter: &reporter,
            summary: &summary,
            created_by: actor.user_id,
            now,
        },
    )
    .await?;
    for (position, person) in people.iter().enumerate() {
        let person_id = store::insert_person(
            tx,
            &NewPerson {
                name: &person.name,
                id_number: person.id_number.as_deref(),
                village_id: person.village_id,
                phone: person.phone.as_deref(),
                priority_groups: &person.groups,
                now,
            },
        )
        .await?;
        store::link_lead_person(tx, lead_id, person_id, position as i64).await?;
    }
    rollup::count_new(tx, &[], &[lead_id]).await?;
    audit::record(
        tx,
        Some(actor),
        Change {
            entity_type: "lead",
            entity_id: lead_id.to_string(),
            case_id: None,
            action: "lead.created",
            before: None,
            after: Some(json!({ "channel": input.channel.as_str(), "received_on": received_on, "people": people.len() })),
        },
    )
    .await?;
    Ok(lead_id)
}

struct CheckedPerson {
    name: String,
    id_number: Option<String>,
    village_id: i64,
    phone: Option<String>,
    groups: String,
}

fn check_person(input: &PersonInput) -> ServiceResult<CheckedPerson> {
    let name = trimmed(&input.name, "name", 50)?;
    let id_number = match optional(&input.id_number) {
        Some(text) => Some(
            ResidentId::parse(&text)
                .map_err(|e| match e {
                    domain::idcard::ResidentIdError::Format => invalid(
                        "id_number",
                        "id_number_format",
                        "must be 17 digits and a digit or X",
                    ),
                    domain::idcard::ResidentIdError::Checksum => invalid(
                        "id_number",
                        "id_number_checksum",
                        "the check digit does not match",
                    ),
                })?
                .as_str()
                .to_string(),
        ),
        None => None,
    };
    let phone = optional(&input.phone);
    if let Some(p) = &phone {
        if p.len() > 20
            || !p
                .chars()
                .all(|c| c.is_ascii_digit() || c == '-' || c == '+' || c == ' ')
        {
            return Err(invalid("phone", "phone_format", "must be a phone number"));
        }
    }
    Ok(CheckedPerson {
        name,
        id_number,
        village_id: input.village_id,
        phone,
        groups: groups_to_text(&input.priority_groups),
    })
}

/// A lead's failure: an ordinary service error, or possible duplicates to confirm.
#[derive(Debug)]
pub enum LeadError {
    Service(ServiceError),
    PossibleDuplicate(Vec<DuplicateHit>),
}

impl From<sqlx::Error> for LeadError {
    fn from(e: sqlx::Error) -> Self {
        LeadError::Service(e.into())
    }
}

impl From<ServiceError> for LeadError {
    fn from(e: ServiceError) -> Self {
        LeadError::Service(e)
    }
}

fn lead_view(row: LeadRow, people: Vec<PersonView>, full_details: bool) -> ServiceResult<LeadView> {
    Ok(LeadView {
        id: row.id,
        channel: channel(&row.channel)?,
        channel_detail: row.channel_detail,
        received_on: row.received_on,
        reporter: row.reporter,
        summary: row.summary,
        status: LeadStatus::parse(&row.status).ok_or_else(|| {
            ServiceError::Internal(anyhow::anyhow!("unknown lead status in database"))
        })?,
        decline_reason: row.decline_reason,
        case_id: row.case_id,
        people,
        created_by: NamedRef {
            id: row.created_by,
            name: row.created_by_name,
        },
        created_at: row.created_at,
        full_details,
    })
}

pub async fn get_lead(db: &Db, actor: &Actor, id: i64) -> ServiceResult<LeadView> {
    actor.require(Permission::ReadCases)?;
    let row = store::find_lead(db, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let people = store::lead_people(db, id).await?;
    // Need to know: the officer who recorded the lead or is assigned its
    // case, and supervisors, see its people in full; other officers (the
    // intake pool is shared, any of them may accept or decline) see them
    // masked, name included.
    let full = domain::privacy::sees_lead_in_full(
        actor.role,
        actor.user_id,
        row.created_by,
        row.case_officer_id,
    );
    lead_view(
        row,
        people.into_iter().map(|p| case_person(p, full)).collect(),
        full,
    )
}

pub async fn list_leads(
    db: &Db,
    actor: &Actor,
    status: Option<&str>,
    channel: Option<&str>,
) -> ServiceResult<Vec<LeadView>> {
    actor.require(Permission::ReadCases)?;
    let status = match status {
        None => None,
        Some(s) => Some(
            LeadStatus::parse(s)
                .ok_or_else(|| {
                    invalid(
                        "status",
                        "invalid_status",
                        "must be open, accepted or declined",
                    )
                })?
                .as_str(),
        ),
    };
    if let Some(c) = channel {
        Channel::parse(c)
            .ok_or_else(|| invalid("channel", "invalid_channel", "unknown channel"))?;
    }
    let rows = store::list_leads(db, status, channel, 200).await?;
    let mut leads = Vec::with_capacity(rows.len());
    for row in rows {
        let people = store::lead_people(db, row.id).await?;
        // Lists show names and numbers masked for everyone.
        let masked = people
            .into_iter()
            .map(|p| PersonView {
                name: mask_name(&p.name),
                ..person_view(p, false)
            })
            .collect();
        leads.push(lead_view(row, masked, false)?);
    }
    Ok(leads)
}

pub async fn decline_lead(
    db: &Db,
    actor: &Actor,
    id: i64,
    input: DeclineLead,
) -> ServiceResult<LeadView> {
    actor.require(Permission::LogLeads)?;
    let reason = trimmed(&input.reason, "reason", 1000)?;
    let mut tx = db.begin().await?;
    store::find_lead_tx(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !store::close_lead(
        &mut tx,
        id,
        LeadStatus::Declined.as_str(),
        Some(&reason),
        None,
        now_ms(),
    )
    .await?
    {
        return Err(lead_not_open());
    }
    audit::record(
        &mut tx,
        Some(actor),
        Change {
            entity_type: "lead",
            entity_id: id.to_string(),
            case_id: None,
            action: "lead.declined",
            before: Some(json!({ "status": "open" })),
            after: Some(json!({ "status": "declined", "reason": reason })),
        },
    )
    .await?;
    tx.commit().await?;
    get_lead(db, actor, id).await
}

fn lead_not_open() -> ServiceError {
    ServiceError::Conflict {
        code: "lead_not_open",
        message: "this lead was already accepted or declined".into(),
    }
}

/// Accepts a lead: opens a case with the next number of the year, assigned to
/// the accepting officer, and links lead and case.
#[tracing::instrument(skip_all, fields(lead_id = id))]
pub async fn accept_lead(
    db: &Db,
    config: &AppConfig,
    actor: &Actor,
    id: i64,
    input: AcceptLead,
) -> ServiceResult<CaseDetail> {
    actor.require(Permission::LogLeads)?;
    let mut tx = db.begin().await?;
    let lead = store::find_lead_tx(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if lead.status != LeadStatus::Open.as_str() {
        return Err(lead_not_open());
    }
    let people = store::lead_people_tx(&mut tx, id).await?;
    let applicant = people.get(input.applicant_index).ok_or_else(|| {
        invalid(
            "applicant_index",
            "no_such_person",
            "the lead has no such person",
        )
    })?;
    let agent = match input.agent_index {
        Some(i) if i == input.applicant_index => {
            return Err(invalid(
                "agent_index",
                "agent_is_applicant",
                "the agent must be another person",
            ))
        }
        Some(i) => Some(people.get(i).ok_or_else(|| {
            invalid(
                "agent_index",
                "no_such_person",
                "the lead has no such person",
            )
        })?),
        None => None,
    };
    let relationship = optional(&input.agent_relationship);
    if agent.is_some() && relationship.is_none() {
        return Err(invalid(
            "agent_relationship",
            "relationship_required",
            "say how the agent is related to the applicant",
        ));
    }
    let now = now_ms();
    let year = i64::from(china_date(now).0);
    let seq = store::next_case_seq(&mut tx, year).await?;
    let number = format_case_number(&config.case_number_prefix, year as i32, seq);
    let deadline = input
        .green_channel
        .then(|| now + config.green_channel_hours * 3600 * 1000);
    let criminal_case_ref = optional(&input.criminal_case_ref);
    let case_id = store::insert_case(
        &mut tx,
        &NewCaseRow {
            number: &number,
            year,
            seq,
            lead_id: lead.id,
            applicant_id: applicant.id,
            agent_id: agent.map(|a| a.id),
            agent_relationship: relationship.as_deref(),
            criminal_case_ref: criminal_case_ref.as_deref(),
            village_id: applicant.village_id,
            officer_id: actor.user_id,
            green_channel: input.green_channel,
            green_channel_deadline: deadline,
            applicant_groups: groups_mask(&applicant.priority_groups),
            now,
        },
    )
    .await
    // Two acceptances racing: the lead's unique case link lets only one through.
    .map_err(|e| {
        if storage::is_unique_violation(&e) {
            lead_not_open()
        } else {
            e.into()
        }
    })?;
    if !store::close_lead(
        &mut tx,
        id,
        LeadStatus::Accepted.as_str(),
        None,
        Some(case_id),
        now,
    )
    .await?
    {
        return Err(lead_not_open());
    }
    store::insert_event(
        &mut tx,
        &NewEvent {
            case_id,
            at: now,
            actor_id: actor.user_id,
            action: "accept",
            from_state: None,
            to_state: CaseState::Accepted.as_str(),
            amount_fen: None,
            comment: input.green_channel.then_some("green_channel"),
        },
    )
    .await?;
    rollup::count_new(&mut tx, &[case_id], &[]).await?;
    audit::record(
        &mut tx,
        Some(actor),
        Change {
            entity_type: "case",
            entity_id: case_id.to_string(),
            case_id: Some(case_id),
            action: "case.accepted",
            before: None,
            after: Some(json!({ "number": number, "lead_id": id, "state": "accepted", "green_channel": input.green_channel })),
        },
    )
    .await?;
    tx.commit().await?;
    get_case(db, config, actor, case_id).await
}

// ---- Cases ---------------------------------------------------------------

/// The case as its team sees it, after a change they made. Opening a case to
/// read it goes through [`super::privacy::open_case`], which checks need to
/// know and logs reads of protected cases.
pub async fn get_case(
    db: &Db,
    config: &AppConfig,
    actor: &Actor,
    id: i64,
) -> ServiceResult<CaseDetail> {
    actor.require(Permission::ReadCases)?;
    let row = store::find_case(db, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let full = sees_full_details(actor, row.officer_id);
    case_detail(db, config, actor, row, full).await
}

/// The case page's content, with names, ID numbers and phone numbers in full
/// or masked. The caller has decided `full` and checked access.
pub(crate) async fn case_detail(
    db: &Db,
    config: &AppConfig,
    actor: &Actor,
    row: CaseRow,
    full: bool,
) -> ServiceResult<CaseDetail> {
    let id = row.id;
    let applicant = store::find_person(db, row.applicant_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let agent = match row.agent_id {
        Some(agent_id) => store::find_person(db, agent_id).await?,
        None => None,
    };
    let events = store::case_events(db, id).await?;
    let current = state(&row.state)?;
    let changes = events
        .iter()
        .map(|e| Ok((e.at, state(&e.to_state)?)))
        .collect::<ServiceResult<Vec<_>>>()?;
    let stages = stage_spans(&changes, now_ms(), &config.stage_limits, row.green_channel);
    let actions = if actor.role == Role::Officer && actor.user_id != row.officer_id {
        Vec::new()
    } else {
        available_actions(current, actor.role)
    };
    Ok(CaseDetail {
        id: row.id,
        number: row.number,
        state: current,
        lead_id: row.lead_id,
        channel: channel(&row.channel)?,
        summary: row.summary,
        applicant: case_person(applicant, full),
        agent: agent.map(|a| case_person(a, full)),
        agent_relationship: row.agent_relationship,
        criminal_case_ref: row.criminal_case_ref,
        village: NamedRef {
            id: row.village_id,
            name: row.village_name,
        },
        officer: NamedRef {
            id: row.officer_id,
            name: row.officer_name,
        },
        green_channel: row.green_channel,
        green_channel_confirmed: row.green_channel_confirmed,
        green_channel_deadline: row.green_channel_deadline,
        can_confirm_green_channel: actor.role.can(Permission::ConfirmGreenChannel)
            && row.green_channel
            && !row.green_channel_confirmed
            && !current.is_final(),
        proposed_amount_fen: row.proposed_amount_fen,
        proposal_reasoning: row.proposal_reasoning,
        approved_amount_fen: row.approved_amount_fen,
        accepted_at: row.accepted_at,
        state_since: row.state_since,
        stages,
        actions,
        timeline: events
            .into_iter()
            .map(|e| {
                Ok(CaseEvent {
                    at: e.at,
                    actor: NamedRef {
                        id: e.actor_id,
                        name: e.actor_name,
                    },
                    action: e.action,
                    from_state: e.from_state.as_deref().map(state).transpose()?,
                    to_state: state(&e.to_state)?,
                    amount_fen: e.amount_fen,
                    comment: e.comment,
                })
            })
            .collect::<ServiceResult<Vec<_>>>()?,
        protected: false,
        full_details: full,
        access_expires_at: None,
        can_print_full: domain::privacy::in_case_team(actor.role, actor.user_id, row.officer_id),
        archived_at: row.archived_at,
    })
}

/// Query of the case list, as received.
#[derive(Debug, Clone, Default)]
pub struct CaseQuery {
    pub state: Option<String>,
    pub village_id: Option<i64>,
    pub officer_id: Option<i64>,
    pub year: Option<i64>,
    pub channel: Option<String>,
    pub priority_group: Option<String>,
    pub q: Option<String>,
    pub mine: bool,
    pub overdue: bool,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// The storage filter of a case list query, checked; shared by the list and the exports.
pub(crate) fn case_filter(
    config: &AppConfig,
    actor: &Actor,
    query: &CaseQuery,
) -> ServiceResult<CaseFilter> {
    actor.require(Permission::ReadCases)?;
    if let Some(s) = &query.state {
        CaseState::parse(s)
            .ok_or_else(|| invalid("state", "invalid_state", "unknown case state"))?;
    }
    if let Some(c) = &query.channel {
        Channel::parse(c)
            .ok_or_else(|| invalid("channel", "invalid_channel", "unknown channel"))?;
    }
    if let Some(g) = &query.priority_group {
        domain::case::PriorityGroup::parse(g).ok_or_else(|| {
            invalid(
                "priority_group",
                "invalid_priority_group",
                "unknown priority group",
            )
        })?;
    }
    let per_page = query.per_page.unwrap_or(20).clamp(1, 100);
    let page = query.page.unwrap_or(1).max(1);
    Ok(CaseFilter {
        state: query.state.clone(),
        village_id: query.village_id,
        officer_id: if query.mine {
            Some(actor.user_id)
        } else {
            query.officer_id
        },
        year: query.year,
        channel: query.channel.clone(),
        priority_group: query.priority_group.clone(),
        text: optional(&query.q),
        overdue: query.overdue.then(|| OverdueFilter {
            now: now_ms(),
            limits: config
                .stage_limits
                .all_ms()
                .into_iter()
                .map(|(state, green, ms)| (state.as_str(), green, ms))
                .collect(),
        }),
        green_first: actor.role == Role::Supervisor,
        limit: per_page,
        offset: (page - 1).saturating_mul(per_page),
        count_cap: config.case_list_count_cap,
    })
}

pub async fn list_cases(
    db: &Db,
    config: &AppConfig,
    actor: &Actor,
    query: CaseQuery,
) -> ServiceResult<CasePage> {
    let filter = case_filter(config, actor, &query)?;
    let per_page = filter.limit;
    let page = query.page.unwrap_or(1).max(1);
    let listing = store::list_cases(db, &filter).await?;
    Ok(CasePage {
        items: listing
            .rows
            .into_iter()
            .map(|row| summary(config, row))
            .collect::<ServiceResult<Vec<_>>>()?,
        total: listing.total,
        total_exact: listing.total_exact,
        page,
        per_page,
    })
}

fn summary(config: &AppConfig, row: CaseListRow) -> ServiceResult<CaseSummary> {
    let current = state(&row.state)?;
    let stage_due_at = config
        .stage_limits
        .limit_ms(current, row.green_channel)
        .filter(|_| !current.is_final())
        .map(|limit| row.state_since + limit);
    Ok(CaseSummary {
        id: row.id,
        number: row.number,
        state: current,
        applicant_name: mask_name(&row.applicant_name),
        village: NamedRef {
            id: row.village_id,
            name: row.village_name,
        },
        officer: NamedRef {
            id: row.officer_id,
            name: row.officer_name,
        },
        priority_groups: groups_from_text(&row.applicant_groups),
        green_channel: row.green_channel,
        green_channel_confirmed: row.green_channel_confirmed,
        green_channel_deadline: row.green_channel_deadline,
        proposed_amount_fen: row.proposed_amount_fen,
        accepted_at: row.accepted_at,
        updated_at: row.updated_at,
        state_since: row.state_since,
        stage_due_at,
    })
}

/// Moves a case one step, if the state, the role and the input allow it.
#[tracing::instrument(skip_all, fields(case_id = id, action = input.action.as_str()))]
pub async fn transition(
    db: &Db,
    config: &AppConfig,
    actor: &Actor,
    id: i64,
    input: TransitionRequest,
) -> ServiceResult<CaseDetail> {
    actor.require(Permission::ReadCases)?;
    let comment = optional(&input.comment);
    let amount = if input.action.needs_amount() {
        let amount = input.amount_fen.ok_or_else(|| {
            invalid(
                "amount_fen",
                "amount_required",
                "a proposal needs an amount",
            )
        })?;
        validate_aid_amount(amount)?;
        if comment.is_none() {
            return Err(invalid(
                "comment",
                "reasoning_required",
                "a proposal needs its reasoning",
            ));
        }
        Some(amount)
    } else {
        if input.amount_fen.is_some() {
            return Err(invalid(
                "amount_fen",
                "amount_not_allowed",
                "only a proposal carries an amount",
            ));
        }
        None
    };
    if input.action.needs_comment() && comment.is_none() {
        return Err(invalid("comment", "comment_required", "say why"));
    }
    if comment.as_ref().is_some_and(|c| c.chars().count() > 4000) {
        return Err(invalid("comment", "too_long", "is too long"));
    }

    let mut tx: Tx = db.begin().await?;
    let row = store::find_case_tx(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let from = state(&row.state)?;
    // A step the case's state does not allow is a conflict; a step the caller
    // may never take (wrong role, someone else's case) is forbidden.
    let to = check_transition(from, input.action, actor.role).map_err(|e| match e {
        TransitionError::WrongState { .. } => ServiceError::Conflict {
            code: "transition_not_allowed",
            message: e.to_string(),
        },
        TransitionError::WrongRole { .. } => ServiceError::Forbidden,
    })?;
    if actor.role == Role::Officer && actor.user_id != row.officer_id {
        return Err(ServiceError::Forbidden);
    }
    let approved = (input.action == CaseAction::Approve)
        .then_some(row.proposed_amount_fen)
        .flatten();
    let now = now_ms();
    let counted = rollup::before_write(&mut tx, &[id], &[]).await?;
    let moved = store::update_state(
        &mut tx,
        id,
        from.as_str(),
        to.as_str(),
        amount,
        if input.action == CaseAction::Propose {
            comment.as_deref()
        } else {
            None
        },
        approved,
        now,
    )
    .await?;
    if !moved {
        return Err(ServiceError::Conflict {
            code: "case_changed",
            message: "the case changed meanwhile; reload it".into(),
        });
    }
    store::insert_event(
        &mut tx,
        &NewEvent {
            case_id: id,
            at: now,
            actor_id: actor.user_id,
            action: input.action.as_str(),
            from_state: Some(from.as_str()),
            to_state: to.as_str(),
            amount_fen: amount.or(approved),
            comment: comment.as_deref(),
        },
    )
    .await?;
    counted.after_write(&mut tx).await?;
    audit::record(
        &mut tx,
        Some(actor),
        Change {
            entity_type: "case",
            entity_id: id.to_string(),
            case_id: Some(id),
            action: "case.transition",
            before: Some(json!({ "state": from.as_str(), "proposed_amount_fen": row.proposed_amount_fen, "approved_amount_fen": row.approved_amount_fen })),
            after: Some(json!({ "state": to.as_str(), "action": input.action.as_str(), "proposed_amount_fen": amount.or(row.proposed_amount_fen), "approved_amount_fen": approved.or(row.approved_amount_fen) })),
        },
    )
    .await?;
    tx.commit().await?;
    get_case(db, config, actor, id).await
}

/// A supervisor confirms the green channel an officer asked for at acceptance.
pub async fn confirm_green_channel(
    db: &Db,
    config: &AppConfig,
    actor: &Actor,
    id: i64,
) -> ServiceResult<CaseDetail> {
    decide_green_channel(db, config, actor, id, None).await
}

/// A supervisor turns down the green channel an officer asked for; the case
/// goes on as an ordinary one, with the reason on its timeline.
pub async fn decline_green_channel(
    db: &Db,
    config: &AppConfig,
    actor: &Actor,
    id: i64,
    input: DeclineGreenChannel,
) -> ServiceResult<CaseDetail> {
    let reason = trimmed(&input.reason, "reason", 1000)?;
    decide_green_channel(db, config, actor, id, Some(reason)).await
}

/// Confirms (no reason) or declines (with the reason) a requested green channel.
#[tracing::instrument(skip_all, fields(case_id = id, declined = decline_reason.is_some()))]
async fn decide_green_channel(
    db: &Db,
    config: &AppConfig,
    actor: &Actor,
    id: i64,
    decline_reason: Option<String>,
) -> ServiceResult<CaseDetail> {
    actor.require(Permission::ConfirmGreenChannel)?;
    let mut tx = db.begin().await?;
    let row = store::find_case_tx(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let current = state(&row.state)?;
    let now = now_ms();
    let counted = rollup::before_write(&mut tx, &[id], &[]).await?;
    let changed = !current.is_final()
        && match decline_reason {
            None => store::confirm_green_channel(&mut tx, id, now).await?,
            Some(_) => store::decline_green_channel(&mut tx, id, now).await?,
        };
    if !changed {
        return Err(ServiceError::Conflict {
            code: "green_channel_not_requested",
            message:
                "the green channel was not asked for, is already confirmed, or the case is over"
                    .into(),
        });
    }
    let (action, audit_action, before, after) = match &decline_reason {
        None => (
            "confirm_green_channel",
            "case.green_channel_confirmed",
            json!({ "green_channel_confirmed": false }),
            json!({ "green_channel_confirmed": true }),
        ),
        Some(reason) => (
            "decline_green_channel",
            "case.green_channel_declined",
            json!({ "green_channel": true, "green_channel_deadline": row.green_channel_deadline }),
            json!({ "green_channel": false, "reason": reason }),
        ),
    };
    store::insert_event(
        &mut tx,
        &NewEvent {
            case_id: id,
            at: now,
            actor_id: actor.user_id,
            action,
            from_state: Some(current.as_str()),
            to_state: current.as_str(),
            amount_fen: None,
            comment: decline_reason.as_deref(),
        },
    )
    .await?;
    counted.after_write(&mut tx).await?;
    audit::record(
        &mut tx,
        Some(actor),
        Change {
            entity_type: "case",
            entity_id: id.to_string(),
            case_id: Some(id),
            action: audit_action,
            before: Some(before),
            after: Some(after),
        },
    )
    .await?;
    tx.commit().await?;
    get_case(db, config, actor, id).await
}

/// The officers a case can be assigned to, for filters.
pub async fn list_officers(db: &Db, actor: &Actor) -> ServiceResult<Vec<NamedRef>> {
    actor.require(Permission::ReadCases)?;
    Ok(
        crate::storage::users::names_with_role(db, Role::Officer.as_str())
            .await?
            .into_iter()
            .map(|(id, name)| NamedRef { id, name })
            .collect(),
    )
}

/// The years that have cases, newest first, for filters.
pub async fn case_years(db: &Db, actor: &Actor) -> ServiceResult<Vec<i64>> {
    actor.require(Permission::ReadCases)?;
    Ok(store::case_years(db).await?)
}
