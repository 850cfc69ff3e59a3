//! Demo data: a county with townships, villages, partner agencies and one
//! account of every kind, so a newcomer can try every role at once.

use domain::api::NewUser;
use domain::Role;

use super::auth::generate_password;
use super::{users, ServiceError, ServiceResult};
use crate::storage::{self, Db};

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

const AGENCIES: &[(&str, &str)] = &[
    ("县教育局", "education"),
    ("县民政局", "civil_affairs"),
    ("县法律援助中心", "legal_aid"),
    ("县关心下一代工作委员会", "youth_care"),
    ("县妇女联合会", "womens_federation"),
];

/// (username, display name, role, village name, agency name)
const ACCOUNTS: &[(&str, &str, Role, Option<&str>, Option<&str>)] = &[
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
    for (name, kind) in AGENCIES {
        storage::places::insert_agency(&mut tx, name, kind).await?;
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
