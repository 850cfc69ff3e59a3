//! Demo data: a county with townships, villages, partner agencies and one
//! account of every kind, so a newcomer can try every role at once.

use domain::api::{AcceptLead, NewLead, NewUser, PersonInput, TransitionRequest};
use domain::case::{CaseAction, Channel, PriorityGroup};
use domain::date::{china_date, format_date};
use domain::idcard::with_check_char;
use domain::referral::Service;
use domain::visit::{NewVisit, VisitFindings, VisitKind};
use domain::Role;

use super::auth::generate_password;
use super::cases::{self, LeadError};
use super::{money, users, visits, Actor, ServiceError, ServiceResult};
use crate::config::AppConfig;
use crate::storage::{self, now_ms, Db};

pub struct DemoAccount {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub password: String,
}

const TOWNSHIPS: &[(&str, &[&str])] = &[
    ("寿春镇", &["城东村", "南关村", "小甸村"]),
    ("正阳关镇", &["正阳村", "老庙村", "新河村"]),
    ("安丰塘镇", &["安丰村", "戈店村"]),
    ("堰口镇", &["堰口村", "双庙村", "东林村"]),
];

/// (name, kind, services offered)
const AGENCIES: &[(&str, &str, &[Service])] = &[
    (
        "县教育局",
        "education",
        &[Service::EducationSupport, Service::Counselling],
    ),
    (
        "县民政局",
        "civil_affairs",
        &[
            Service::LivingAssistance,
            Service::MedicalHelp,
            Service::EmploymentHelp,
        ],
    ),
    ("县法律援助中心", "legal_aid", &[Service::LegalAid]),
    (
        "县关心下一代工作委员会",
        "youth_care",
        &[Service::Counselling, Service::EducationSupport],
    ),
    (
        "县妇女联合会",
        "womens_federation",
        &[
            Service::Counselling,
            Service::LivingAssistance,
            Service::EmploymentHelp,
        ],
    ),
];

/// (username, display name, role, village name, agency name)
type Account = (
    &'static str,
    &'static str,
    Role,
    Option<&'static str>,
    Option<&'static str>,
);

const ACCOUNTS: &[Account] = &[
    ("admin", "系统管理员", Role::Admin, None, None),
    (
        "zhang.jian",
        "张建国（检察长）",
        Role::Supervisor,
        None,
        None,
    ),
    (
        "li.hong",
        "李红（部门负责人）",
        Role::Supervisor,
        None,
        None,
    ),
    ("wang.fang", "王芳", Role::Officer, None, None),
    ("chen.ming", "陈明", Role::Officer, None, None),
    (
        "vc.xiaodian",
        "小甸村村委会",
        Role::VillageCommittee,
        Some("小甸村"),
        None,
    ),
    (
        "vc.zhengyang",
        "正阳村村委会",
        Role::VillageCommittee,
        Some("正阳村"),
        None,
    ),
    (
        "edu.bureau",
        "县教育局联络员",
        Role::Partner,
        None,
        Some("县教育局"),
    ),
    (
        "civil.affairs",
        "县民政局联络员",
        Role::Partner,
        None,
        Some("县民政局"),
    ),
    (
        "legal.aid",
        "法律援助中心联络员",
        Role::Partner,
        None,
        Some("县法律援助中心"),
    ),
    (
        "youth.care",
        "关工委联络员",
        Role::Partner,
        None,
        Some("县关心下一代工作委员会"),
    ),
];

/// Loads the demo county into an empty database. Every account gets `password`
/// when given (tests use this), otherwise its own random one, returned so the
/// caller can print it once.
pub async fn load(db: &Db, password: Option<&str>) -> ServiceResult<Vec<DemoAccount>> {
    let accounts = load_accounts(db, password).await?;
    let supervised_case = load_cases(db).await?;
    if let Some(case_id) = supervised_case {
        load_money(db, case_id).await?;
    }
    Ok(accounts)
}

async fn load_accounts(db: &Db, password: Option<&str>) -> ServiceResult<Vec<DemoAccount>> {
    if storage::users::count(db).await? > 0 {
        return Err(ServiceError::Conflict {
            code: "not_empty",
            message: "the database already has users; demo data goes only into an empty database"
                .into(),
        });
    }
    let mut tx = db.begin().await?;
    for (township, villages) in TOWNSHIPS {
        let township_id = storage::places::insert_township(&mut tx, township).await?;
        for village in *villages {
            storage::places::insert_village(&mut tx, township_id, village).await?;
        }
    }
    for (name, kind, services) in AGENCIES {
        let id = storage::places::insert_agency(&mut tx, name, kind).await?;
        let services: Vec<&str> = services.iter().map(|s| s.as_str()).collect();
        storage::referrals::set_agency_services(&mut tx, id, &services).await?;
    }
    tx.commit().await?;

    let mut accounts = Vec::with_capacity(ACCOUNTS.len());
    for (username, display_name, role, village, agency) in ACCOUNTS {
        let village_id = match village {
            Some(name) => storage::places::find_village_by_name(db, name).await?,
            None => None,
        };
        let agency_id = match agency {
            Some(name) => storage::places::find_agency_by_name(db, name).await?,
            None => None,
        };
        let password = password
            .map(str::to_string)
            .unwrap_or_else(generate_password);
        users::create(
            db,
            None,
            NewUser {
                username: username.to_string(),
                display_name: display_name.to_string(),
                role: *role,
                village_id,
                agency_id,
                password: password.clone(),
            },
        )
        .await?;
        accounts.push(DemoAccount {
            username: username.to_string(),
            display_name: display_name.to_string(),
            role: *role,
            password,
        });
    }
    Ok(accounts)
}

/// One demo case: who it is about, and how far it has come.
struct DemoCase {
    officer: &'static str,
    channel: Channel,
    detail: Option<&'static str>,
    summary: &'static str,
    /// (name, 17 ID digits, village, groups)
    applicant: (
        &'static str,
        &'static str,
        &'static str,
        &'static [PriorityGroup],
    ),
    /// A guardian acting for a child applicant, and the relationship.
    agent: Option<(&'static str, &'static str, &'static str)>,
    green_channel: bool,
    /// Steps after acceptance, each with the role that takes it.
    steps: &'static [CaseAction],
    /// `None`: leave the lead open; `Some(reason)`: decline it.
    lead_only: Option<Option<&'static str>>,
}

const DEMO_CASES: &[DemoCase] = &[
    DemoCase {
        officer: "chen.ming",
        channel: Channel::LettersVisits,
        detail: None,
        summary: "未成年被害人遭校园欺凌致伤，监护人无力负担治疗费用，已批准待发放。",
        applicant: (
            "杨乐乐",
            "34042220130822155",
            "正阳村",
            &[PriorityGroup::Minor],
        ),
        agent: Some(("杨红梅", "34042219880514266", "母亲")),
        green_channel: false,
        steps: &[
            CaseAction::StartInvestigation,
            CaseAction::Propose,
            CaseAction::Approve,
        ],
        lead_only: None,
    },
    DemoCase {
        officer: "wang.fang",
        channel: Channel::CaseScreening,
        detail: None,
        summary: "未成年被害人父亲因故意伤害致残，家庭失去主要收入，被告人无赔偿能力。",
        applicant: (
            "李小雨",
            "34042220150601123",
            "小甸村",
            &[PriorityGroup::Minor, PriorityGroup::PoorHousehold],
        ),
        agent: Some(("李建军", "34042219850312451", "父亲")),
        green_channel: true,
        steps: &[
            CaseAction::StartInvestigation,
            CaseAction::Propose,
            CaseAction::Approve,
            CaseAction::StartPayment,
        ],
        lead_only: None,
    },
    DemoCase {
        officer: "wang.fang",
        channel: Channel::Hotline12309,
        detail: None,
        summary: "交通肇事逃逸致被害人重伤，医疗费用无力承担。",
        applicant: (
            "张桂兰",
            "34042219620815262",
            "城东村",
            &[PriorityGroup::ImpoverishedByCase],
        ),
        agent: None,
        green_channel: false,
        steps: &[CaseAction::StartInvestigation, CaseAction::Propose],
        lead_only: None,
    },
    DemoCase {
        officer: "wang.fang",
        channel: Channel::InternalReferral,
        detail: Some("刑事检察部门"),
        summary: "被害人为退役军人，遭诈骗后生活困难。",
        applicant: (
            "周国强",
            "34042219700203357",
            "南关村",
            &[PriorityGroup::Veteran],
        ),
        agent: None,
        green_channel: false,
        steps: &[CaseAction::StartInvestigation],
        lead_only: None,
    },
    DemoCase {
        officer: "wang.fang",
        channel: Channel::LettersVisits,
        detail: None,
        summary: "被害人家属来信反映因案致贫。",
        applicant: (
            "吴秀英",
            "34042219780921448",
            "正阳村",
            &[PriorityGroup::ImpoverishedByCase],
        ),
        agent: None,
        green_channel: false,
        steps: &[],
        lead_only: None,
    },
    DemoCase {
        officer: "chen.ming",
        channel: Channel::PoliceLiaison,
        detail: None,
        summary: "残疾被害人遭抢劫，已获救助，处于回访阶段。",
        applicant: (
            "赵春梅",
            "34042219810417262",
            "老庙村",
            &[PriorityGroup::Disabled],
        ),
        agent: None,
        green_channel: false,
        steps: &[
            CaseAction::StartInvestigation,
            CaseAction::Propose,
            CaseAction::Approve,
            CaseAction::StartPayment,
            CaseAction::StartFollowUp,
        ],
        lead_only: None,
    },
    DemoCase {
        officer: "chen.ming",
        channel: Channel::CourtLiaison,
        detail: None,
        summary: "刑事附带民事赔偿未能执行，被害人生活困难，已救助结案。",
        applicant: (
            "孙立平",
            "34042219691130371",
            "安丰村",
            &[PriorityGroup::PoorHousehold],
        ),
        agent: None,
        green_channel: false,
        steps: &[
            CaseAction::StartInvestigation,
            CaseAction::Propose,
            CaseAction::Approve,
            CaseAction::StartPayment,
            CaseAction::StartFollowUp,
            CaseAction::Close,
        ],
        lead_only: None,
    },
    DemoCase {
        officer: "chen.ming",
        channel: Channel::ChiefReception,
        detail: None,
        summary: "检察长接待中反映的困难，经审查不符合救助条件。",
        applicant: (
            "钱大海",
            "34042219750606513",
            "戈店村",
            &[PriorityGroup::Other],
        ),
        agent: None,
        green_channel: false,
        steps: &[
            CaseAction::StartInvestigation,
            CaseAction::Propose,
            CaseAction::Refuse,
        ],
        lead_only: None,
    },
    DemoCase {
        officer: "chen.ming",
        channel: Channel::Platform12309,
        detail: None,
        summary: "申请人已获得其他途径赔偿，撤回申请。",
        applicant: (
            "冯玉珍",
            "34042219880101224",
            "堰口村",
            &[PriorityGroup::Other],
        ),
        agent: None,
        green_channel: false,
        steps: &[CaseAction::StartInvestigation, CaseAction::Withdraw],
        lead_only: None,
    },
    DemoCase {
        officer: "wang.fang",
        channel: Channel::Hotline12309,
        detail: None,
        summary: "12309热线来电，未成年人遭性侵后心理创伤，家庭困难，待核实。",
        applicant: (
            "陈思思",
            "34042220120309182",
            "双庙村",
            &[PriorityGroup::Minor],
        ),
        agent: None,
        green_channel: false,
        steps: &[],
        lead_only: Some(None),
    },
    DemoCase {
        officer: "wang.fang",
        channel: Channel::Outreach,
        detail: None,
        summary: "宣传活动中群众反映的情况，经核实不属于刑事案件被害人。",
        applicant: ("何明", "34042219900718339", "东林村", &[]),
        agent: None,
        green_channel: false,
        steps: &[],
        lead_only: Some(Some(
            "不属于刑事案件被害人，已告知其向民政部门申请临时救助。",
        )),
    },
];

async fn actor_for(db: &Db, username: &str) -> ServiceResult<Actor> {
    let users = storage::users::list(db).await?;
    let row = users
        .into_iter()
        .find(|u| u.username == username)
        .ok_or(ServiceError::NotFound)?;
    Ok(Actor {
        user_id: row.id,
        username: row.username,
        display_name: row.display_name,
        role: Role::parse(&row.role).ok_or(ServiceError::NotFound)?,
        village_id: row.village_id,
        agency_id: row.agency_id,
        request_id: None,
    })
}

async fn person(
    db: &Db,
    (name, digits, village, groups): (&str, &str, &str, &[PriorityGroup]),
) -> ServiceResult<PersonInput> {
    let village_id = storage::places::find_village_by_name(db, village)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok(PersonInput {
        name: name.into(),
        id_number: with_check_char(digits),
        village_id,
        phone: Some(format!("139{}", &digits[9..17])),
        priority_groups: groups.to_vec(),
    })
}

/// Leads and cases at every stage, made through the same use cases as the API
/// so the timeline and the audit log are as real ones would be. Returns the
/// case of the supervised minor in 小甸村 (the demo village committee's village).
async fn load_cases(db: &Db) -> ServiceResult<Option<i64>> {
    let mut supervised_case = None;
    let config = AppConfig::default();
    let supervisor = actor_for(db, "zhang.jian").await?;
    let today = format_date(china_date(now_ms()));
    for demo in DEMO_CASES {
        let officer = actor_for(db, demo.officer).await?;
        let mut people = vec![person(db, demo.applicant).await?];
        if let Some((name, digits, _)) = demo.agent {
            people.push(person(db, (name, digits, demo.applicant.2, &[])).await?);
        }
        let lead = cases::create_lead(
            db,
            &officer,
            NewLead {
                channel: demo.channel,
                channel_detail: demo.detail.map(str::to_string),
                received_on: today.clone(),
                reporter: "来访群众".into(),
                summary: demo.summary.into(),
                people,
                confirm_duplicate: true,
            },
        )
        .await
        .map_err(|e| match e {
            LeadError::Service(e) => e,
            LeadError::PossibleDuplicate(_) => {
                ServiceError::Internal(anyhow::anyhow!("duplicate demo lead"))
            }
        })?;
        match demo.lead_only {
            Some(None) => continue,
            Some(Some(reason)) => {
                cases::decline_lead(
                    db,
                    &officer,
                    lead.id,
                    domain::api::DeclineLead {
                        reason: reason.into(),
                    },
                )
                .await?;
                continue;
            }
            None => {}
        }
        let case = cases::accept_lead(
            db,
            &config,
            &officer,
            lead.id,
            AcceptLead {
                green_channel: demo.green_channel,
                criminal_case_ref: Some("寿公刑〔2026〕112号".into()),
                applicant_index: 0,
                agent_index: demo.agent.map(|_| 1),
                agent_relationship: demo.agent.map(|(_, _, relation)| relation.to_string()),
            },
        )
        .await?;
        if demo.applicant.0 == SUPERVISED_CHILD {
            supervised_case = Some(case.id);
        }
        if !demo.steps.is_empty() {
            demo_visit(
                db,
                &officer,
                case.id,
                VisitKind::HomeVisit,
                demo.applicant.2,
            )
            .await?;
        }
        for action in demo.steps {
            let by_supervisor = matches!(action, CaseAction::Approve | CaseAction::Refuse);
            let (amount_fen, comment) = match action {
                CaseAction::Propose => (
                    Some(3_000_000),
                    Some("家庭因案陷入困难，符合救助条件，建议救助人民币三万元。"),
                ),
                CaseAction::Approve => (None, Some("同意。")),
                CaseAction::Refuse => (None, Some("申请人已获赔偿，不符合救助条件。")),
                CaseAction::Withdraw => (None, Some("申请人撤回申请。")),
                _ => (None, None),
            };
            cases::transition(
                db,
                &config,
                if by_supervisor { &supervisor } else { &officer },
                case.id,
                TransitionRequest {
                    action: *action,
                    amount_fen,
                    comment: comment.map(str::to_string),
                },
            )
            .await?;
            // The first follow-up after payment, by phone.
            if *action == CaseAction::StartFollowUp {
                demo_visit(
                    db,
                    &officer,
                    case.id,
                    VisitKind::PhoneFollowUp,
                    demo.applicant.2,
                )
                .await?;
            }
        }
    }
    Ok(supervised_case)
}

/// The minor whose aid is paid in supervised installments in the demo.
const SUPERVISED_CHILD: &str = "李小雨";

/// A small grey page standing in for the scans and receipt photos.
const DEMO_SCAN: &[u8] = include_bytes!("demo_scan.png");

/// Supervised aid for 李小雨: three installments, the agreement and pledge,
/// the first installment paid, spending confirmed and waiting for 小甸村's
/// village committee — made through the same use cases as the API.
async fn load_money(db: &Db, case_id: i64) -> ServiceResult<()> {
    use domain::api::money::{PaymentInput, PlanInput, SpendingInput, SupervisionInput};
    use domain::payment::{
        split_plan, DocumentKind, InstallmentInput, PaymentMethod, PlanKind, Purpose,
    };

    let officer = actor_for(db, "wang.fang").await?;
    let committee = actor_for(db, "vc.xiaodian").await?;
    let today = format_date(china_date(now_ms()));
    let case = storage::cases::find_case(db, case_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let approved = case.approved_amount_fen.ok_or(ServiceError::NotFound)?;
    let installments = split_plan(domain::Fen(approved), 3, &today, 3)
        .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("demo plan")))?
        .into_iter()
        .map(|i| InstallmentInput {
            due_on: i.due_on,
            amount_fen: i.amount.0.into(),
        })
        .collect();
    let view = money::set_plan(
        db,
        &officer,
        case_id,
        PlanInput {
            kind: PlanKind::Installments,
            supervised: Some(true),
            installments,
            reason: None,
        },
        None,
    )
    .await?;
    let agreement =
        money::upload_document(db, &officer, case_id, DocumentKind::Agreement, DEMO_SCAN).await?;
    let pledge =
        money::upload_document(db, &officer, case_id, DocumentKind::Pledge, DEMO_SCAN).await?;
    money::record_supervision(
        db,
        &officer,
        case_id,
        SupervisionInput {
            guardian_person_id: case.agent_id.ok_or(ServiceError::NotFound)?,
            agreement_signed_on: today.clone(),
            pledge_signed_on: today.clone(),
            agreement_document_ids: vec![agreement.id],
            pledge_document_ids: vec![pledge.id],
        },
        None,
    )
    .await?;
    let first = view
        .plan
        .as_ref()
        .and_then(|p| p.installments.first())
        .map(|i| i.id)
        .ok_or(ServiceError::NotFound)?;
    money::pay_installment(
        db,
        &officer,
        first,
        PaymentInput {
            paid_on: today.clone(),
            method: PaymentMethod::BankTransfer,
            reference: "寿县农商行 转账 20260001".into(),
        },
        None,
    )
    .await?;
    let receipt =
        money::upload_document(db, &committee, case_id, DocumentKind::Receipt, DEMO_SCAN).await?;
    let spending = [
        (
            &committee,
            50_000,
            Purpose::Medical,
            "复查挂号费、药费",
            Some(receipt.id),
        ),
        (
            &officer,
            600_000,
            Purpose::School,
            "秋季学期学费、住宿费",
            None,
        ),
        (
            &committee,
            300_000,
            Purpose::Living,
            "冬季衣物、生活用品",
            None,
        ),
    ];
    let mut first_record = None;
    for (actor, amount, purpose, note, receipt) in spending {
        let view = money::record_spending(
            db,
            actor,
            case_id,
            SpendingInput {
                amount_fen: amount.into(),
                purpose,
                spent_on: today.clone(),
                note: Some(note.into()),
                receipt_document_id: receipt,
            },
            None,
        )
        .await?;
        first_record = first_record.or(view.spending.first().map(|s| s.id));
    }
    if let Some(id) = first_record {
        money::spending_step(db, &committee, id, money::SpendingStep::Confirm, None, None).await?;
    }
    Ok(())
}

/// A visit as an officer records it in the field, under an id "made on the phone".
async fn demo_visit(
    db: &Db,
    officer: &Actor,
    case_id: i64,
    kind: VisitKind,
    village: &str,
) -> ServiceResult<()> {
    let follow_up = kind.is_follow_up();
    let input = NewVisit {
        kind,
        visited_at: now_ms() - if follow_up { 0 } else { 2 * 24 * 3_600_000 },
        place: format!("{village}申请人家中"),
        location: None,
        people_met: if follow_up {
            "申请人本人（电话）"
        } else {
            "申请人及其家属"
        }
        .into(),
        findings: VisitFindings {
            household_members: (!follow_up).then_some(4),
            monthly_income_fen: (!follow_up).then_some(120_000),
            dependants: (!follow_up).then_some(2),
            hardship: (!follow_up)
                .then(|| "主要劳动力因案受伤，无法务工；有医疗欠款。".to_string()),
            needs: Some(
                if follow_up {
                    "救助金已收到，孩子已复学。"
                } else {
                    "医疗费用、子女学费。"
                }
                .to_string(),
            ),
        },
        notes: (!follow_up).then(|| "村委会证实家庭情况属实。".to_string()),
    };
    let id = uuid::Uuid::new_v4().to_string();
    visits::record_visit(db, officer, case_id, &id, input).await?;
    Ok(())
}
