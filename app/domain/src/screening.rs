//! Case screening (案件管理筛查): which columns of an exported list of criminal
//! cases mean what, and which victims are worth an aid lead, with the reasons.
//!
//! Pure rules only. Reading CSV or XLSX files and looking villages up happen on
//! the server; the browser uses [`ScreeningField`] and [`FlagReason`] to draw
//! the mapping form and the reason badges.

use serde::{Deserialize, Serialize};

use crate::case::PriorityGroup;
use crate::date::{days_in_month, parse_date};
use crate::idcard::{ResidentId, ResidentIdError};

/// The most rows one import may hold; larger exports are to be split.
pub const MAX_ROWS: usize = 20_000;

/// A column of the import the officer maps to a heading of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ScreeningField {
    /// 案号 (required)
    CaseRef,
    /// 被害人姓名 (required)
    VictimName,
    IdNumber,
    Village,
    Phone,
    Disabled,
    Veteran,
    PoorHousehold,
    /// 赔偿情况: whether the offender paid compensation.
    Compensation,
}

impl ScreeningField {
    pub const ALL: [ScreeningField; 9] = [
        ScreeningField::CaseRef,
        ScreeningField::VictimName,
        ScreeningField::IdNumber,
        ScreeningField::Village,
        ScreeningField::Phone,
        ScreeningField::Disabled,
        ScreeningField::Veteran,
        ScreeningField::PoorHousehold,
        ScreeningField::Compensation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ScreeningField::CaseRef => "case_ref",
            ScreeningField::VictimName => "victim_name",
            ScreeningField::IdNumber => "id_number",
            ScreeningField::Village => "village",
            ScreeningField::Phone => "phone",
            ScreeningField::Disabled => "disabled",
            ScreeningField::Veteran => "veteran",
            ScreeningField::PoorHousehold => "poor_household",
            ScreeningField::Compensation => "compensation",
        }
    }

    pub fn required(self) -> bool {
        matches!(self, ScreeningField::CaseRef | ScreeningField::VictimName)
    }

    /// Words that, found in a heading, mark this field. Checked in the order
    /// of [`GUESS_ORDER`], so "被害人身份证号" is an ID number, not a name.
    fn keywords(self) -> &'static [&'static str] {
        match self {
            ScreeningField::CaseRef => &[
                "案号",
                "案件编号",
                "案件号",
                "受案号",
                "caseref",
                "casenumber",
                "caseno",
            ],
            ScreeningField::VictimName => &["被害人", "姓名", "名字", "victim", "name"],
            ScreeningField::IdNumber => &[
                "身份证",
                "公民身份号码",
                "证件号",
                "idnumber",
                "idcard",
                "idno",
            ],
            ScreeningField::Village => &["村", "village"],
            ScreeningField::Phone => &["电话", "手机", "联系方式", "phone", "mobile", "tel"],
            ScreeningField::Disabled => &["残疾", "disab"],
            ScreeningField::Veteran => &["退役", "军人", "veteran"],
            ScreeningField::PoorHousehold => &[
                "建档立卡",
                "低保",
                "脱贫",
                "贫困",
                "防返贫",
                "监测户",
                "poor",
            ],
            ScreeningField::Compensation => &["赔偿", "退赔", "compensat"],
        }
    }
}

/// Specific fields before general ones: a heading naming an ID number, a phone
/// or a yes/no question often also contains 被害人 or 村.
const GUESS_ORDER: [ScreeningField; 9] = [
    ScreeningField::IdNumber,
    ScreeningField::Phone,
    ScreeningField::Compensation,
    ScreeningField::Disabled,
    ScreeningField::Veteran,
    ScreeningField::PoorHousehold,
    ScreeningField::CaseRef,
    ScreeningField::Village,
    ScreeningField::VictimName,
];

/// Which heading of the file holds each field; `None` when the file has no such column.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ColumnMapping {
    #[serde(default)]
    pub case_ref: Option<String>,
    #[serde(default)]
    pub victim_name: Option<String>,
    #[serde(default)]
    pub id_number: Option<String>,
    #[serde(default)]
    pub village: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub disabled: Option<String>,
    #[serde(default)]
    pub veteran: Option<String>,
    #[serde(default)]
    pub poor_household: Option<String>,
    #[serde(default)]
    pub compensation: Option<String>,
}

impl ColumnMapping {
    pub fn get(&self, field: ScreeningField) -> Option<&str> {
        self.slot(field).as_deref()
    }

    pub fn set(&mut self, field: ScreeningField, header: Option<String>) {
        *self.slot_mut(field) = header.filter(|h| !h.trim().is_empty());
    }

    fn slot(&self, field: ScreeningField) -> &Option<String> {
        match field {
            ScreeningField::CaseRef => &self.case_ref,
            ScreeningField::VictimName => &self.victim_name,
            ScreeningField::IdNumber => &self.id_number,
            ScreeningField::Village => &self.village,
            ScreeningField::Phone => &self.phone,
            ScreeningField::Disabled => &self.disabled,
            ScreeningField::Veteran => &self.veteran,
            ScreeningField::PoorHousehold => &self.poor_household,
            ScreeningField::Compensation => &self.compensation,
        }
    }

    fn slot_mut(&mut self, field: ScreeningField) -> &mut Option<String> {
        match field {
            ScreeningField::CaseRef => &mut self.case_ref,
            ScreeningField::VictimName => &mut self.victim_name,
            ScreeningField::IdNumber => &mut self.id_number,
            ScreeningField::Village => &mut self.village,
            ScreeningField::Phone => &mut self.phone,
            ScreeningField::Disabled => &mut self.disabled,
            ScreeningField::Veteran => &mut self.veteran,
            ScreeningField::PoorHousehold => &mut self.poor_household,
            ScreeningField::Compensation => &mut self.compensation,
        }
    }

    /// The column index of each field in `headers`. A field whose heading is
    /// not among them is left out; the required fields missing come back as the error.
    pub fn resolve(&self, headers: &[String]) -> Result<ColumnIndex, Vec<ScreeningField>> {
        let mut index = ColumnIndex::default();
        let mut missing = Vec::new();
        for field in ScreeningField::ALL {
            let column = self.get(field).and_then(|wanted| {
                let wanted = normalize_heading(wanted);
                headers.iter().position(|h| normalize_heading(h) == wanted)
            });
            if column.is_none() && field.required() {
                missing.push(field);
            }
            index.columns[field as usize] = column;
        }
        if missing.is_empty() {
            Ok(index)
        } else {
            Err(missing)
        }
    }

    /// Fields of `self` whose heading is in `headers`, the gaps filled from `other`.
    pub fn merged_with(&self, other: &ColumnMapping, headers: &[String]) -> ColumnMapping {
        let present = |h: &str| {
            let h = normalize_heading(h);
            headers.iter().any(|x| normalize_heading(x) == h)
        };
        let mut merged = ColumnMapping::default();
        for field in ScreeningField::ALL {
            let chosen = self
                .get(field)
                .filter(|h| present(h))
                .or_else(|| other.get(field).filter(|h| present(h)));
            merged.set(field, chosen.map(str::to_string));
        }
        merged
    }
}

/// Column positions of the mapped fields in one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnIndex {
    columns: [Option<usize>; 9],
}

impl ColumnIndex {
    /// The trimmed cell of `field` in `row`, `None` when unmapped or empty.
    pub fn cell<'a>(&self, row: &'a [String], field: ScreeningField) -> Option<&'a str> {
        self.columns[field as usize]
            .and_then(|i| row.get(i))
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }
}

/// Headings compared without spaces, full-width colons, asterisks marking
/// required columns, or case: "* 案 号：" and "案号" are the same heading.
pub fn normalize_heading(text: &str) -> String {
    text.trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| {
            !c.is_whitespace()
                && !matches!(c, '*' | ':' | '：' | '_' | '-' | '（' | '）' | '(' | ')')
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// Guesses which heading holds each field from common Chinese and English headings.
pub fn guess_mapping(headers: &[String]) -> ColumnMapping {
    let mut mapping = ColumnMapping::default();
    let mut taken = vec![false; headers.len()];
    // Exact matches first, so "姓名" wins over "家属姓名" for the victim's name.
    for exact in [true, false] {
        for (i, header) in headers.iter().enumerate() {
            if taken[i] {
                continue;
            }
            let norm = normalize_heading(header);
            if norm.is_empty() {
                continue;
            }
            let hit = GUESS_ORDER.into_iter().find(|field| {
                mapping.get(*field).is_none()
                    && field.keywords().iter().any(|k| {
                        if exact {
                            norm == *k || norm == format!("被害人{k}")
                        } else {
                            norm.contains(k)
                        }
                    })
            });
            if let Some(field) = hit {
                mapping.set(field, Some(header.trim().to_string()));
                taken[i] = true;
            }
        }
    }
    mapping
}

/// Why a person was flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FlagReason {
    /// Under 18 on the day of the import, by the ID number's birth date.
    Minor,
    Disabled,
    Veteran,
    /// 建档立卡 / 低保 / 脱贫 / 防返贫监测
    PoorHousehold,
    /// The offender has not paid compensation (in full).
    CompensationUnpaid,
}

impl FlagReason {
    pub const ALL: [FlagReason; 5] = [
        FlagReason::Minor,
        FlagReason::Disabled,
        FlagReason::Veteran,
        FlagReason::PoorHousehold,
        FlagReason::CompensationUnpaid,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FlagReason::Minor => "minor",
            FlagReason::Disabled => "disabled",
            FlagReason::Veteran => "veteran",
            FlagReason::PoorHousehold => "poor_household",
            FlagReason::CompensationUnpaid => "compensation_unpaid",
        }
    }

    pub fn parse(text: &str) -> Option<FlagReason> {
        FlagReason::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// The priority group a lead's person gets for this reason.
    pub fn priority_group(self) -> Option<PriorityGroup> {
        match self {
            FlagReason::Minor => Some(PriorityGroup::Minor),
            FlagReason::Disabled => Some(PriorityGroup::Disabled),
            FlagReason::Veteran => Some(PriorityGroup::Veteran),
            FlagReason::PoorHousehold => Some(PriorityGroup::PoorHousehold),
            FlagReason::CompensationUnpaid => None,
        }
    }
}

/// Stores reasons as text ("minor,disabled").
pub fn reasons_to_text(reasons: &[FlagReason]) -> String {
    reasons
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

pub fn reasons_from_text(text: &str) -> Vec<FlagReason> {
    text.split(',').filter_map(FlagReason::parse).collect()
}

fn squash(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// A yes in a yes/no column: 是, Y, yes, true, 1, √, or a text starting with
/// 是 or 有 ("是（肢体二级）", "有残疾证"). Anything else, empty included, is no.
pub fn is_yes(text: &str) -> bool {
    let t = squash(text);
    matches!(
        t.as_str(),
        "是" | "y" | "yes" | "true" | "t" | "1" | "√" | "✓" | "✔" | "有" | "对"
    ) || t.starts_with('是')
        || (t.starts_with('有') && !t.starts_with("有无"))
}

/// Whether a compensation cell says the victim was not (fully) compensated:
/// 未赔偿, 未履行, 部分赔偿, 否, 无, 0 … An empty cell says nothing, so no flag.
pub fn compensation_unpaid(text: &str) -> bool {
    let t = squash(text);
    if t.is_empty() || t.contains("未知") || t.contains("不详") {
        return false;
    }
    const UNPAID_WORDS: [&str; 9] = [
        "未",
        "没有",
        "无力",
        "拒",
        "部分",
        "不到位",
        "unpaid",
        "notpaid",
        "partial",
    ];
    if UNPAID_WORDS.iter().any(|w| t.contains(w)) {
        return true;
    }
    if matches!(
        t.as_str(),
        "否" | "无" | "n" | "no" | "false" | "none" | "×" | "✗" | "没"
    ) {
        return true;
    }
    // An amount: 0 or 0元 means nothing was paid.
    let amount = t.trim_end_matches('元').trim_start_matches('¥');
    amount.parse::<f64>().is_ok_and(|a| a == 0.0)
}

/// The birth date written in a valid resident ID number (characters 7–14).
pub fn birth_date(id: &ResidentId) -> Option<(i32, u32, u32)> {
    let digits = id.as_str().get(6..14)?;
    parse_date(&format!(
        "{}-{}-{}",
        digits.get(0..4)?,
        digits.get(4..6)?,
        digits.get(6..8)?
    ))
}

/// Whether someone born on `birth` is under 18 on `on`.
///
/// Ages count as 周岁 do in procuratorial work (最高人民法院《关于审理未成年人
/// 刑事案件具体应用法律若干问题的解释》第二条): a person is 18 from the day
/// *after* the 18th birthday. A 29 February birthday falls on 28 February in a
/// common year (民法典第二百零二条: no matching day → the month's last day).
pub fn is_minor_on(birth: (i32, u32, u32), on: (i32, u32, u32)) -> bool {
    let (y, m, d) = birth;
    let eighteenth = (y + 18, m, d.min(days_in_month(y + 18, m)));
    on <= eighteenth
}

/// One data row of an import, the cells picked by the mapping.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawRow<'a> {
    pub case_ref: Option<&'a str>,
    pub name: Option<&'a str>,
    pub id_number: Option<&'a str>,
    pub village: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub disabled: Option<&'a str>,
    pub veteran: Option<&'a str>,
    pub poor_household: Option<&'a str>,
    pub compensation: Option<&'a str>,
}

impl<'a> RawRow<'a> {
    pub fn from_cells(index: &ColumnIndex, row: &'a [String]) -> RawRow<'a> {
        use ScreeningField as F;
        RawRow {
            case_ref: index.cell(row, F::CaseRef),
            name: index.cell(row, F::VictimName),
            id_number: index.cell(row, F::IdNumber),
            village: index.cell(row, F::Village),
            phone: index.cell(row, F::Phone),
            disabled: index.cell(row, F::Disabled),
            veteran: index.cell(row, F::Veteran),
            poor_household: index.cell(row, F::PoorHousehold),
            compensation: index.cell(row, F::Compensation),
        }
    }
}

/// A row that passed the checks, with why its person is worth a lead (maybe nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreenedRow {
    pub case_ref: String,
    pub name: String,
    /// Valid and upper-cased.
    pub id_number: Option<String>,
    pub village: Option<String>,
    pub phone: Option<String>,
    pub reasons: Vec<FlagReason>,
}

impl ScreenedRow {
    /// Identifies the person in the case across imports: the same case and the
    /// same ID number (or, without one, the same name) is the same flag.
    pub fn dedupe_key(&self) -> String {
        let case_ref: String = self
            .case_ref
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        match &self.id_number {
            Some(id) => format!("{case_ref}|id:{id}"),
            None => format!("{case_ref}|name:{}", self.name),
        }
    }
}

/// Why a row could not be read. `code` is stable (the front end translates it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowProblem {
    pub code: &'static str,
    pub message: &'static str,
}

const fn problem(code: &'static str, message: &'static str) -> RowProblem {
    RowProblem { code, message }
}

/// Checks one row and lists the reasons to flag its person; `today` is the
/// import date (China time), against which a minor's age is counted.
pub fn screen_row(row: &RawRow<'_>, today: (i32, u32, u32)) -> Result<ScreenedRow, RowProblem> {
    let case_ref = row
        .case_ref
        .ok_or(problem("case_ref_required", "the case reference is empty"))?;
    if case_ref.chars().count() > 100 {
        return Err(problem(
            "case_ref_too_long",
            "the case reference is too long",
        ));
    }
    let name = row
        .name
        .ok_or(problem("name_required", "the victim's name is empty"))?;
    if name.chars().count() > 50 {
        return Err(problem("name_too_long", "the name is too long"));
    }
    let id = match row.id_number {
        Some(text) => Some(ResidentId::parse(text).map_err(|e| match e {
            ResidentIdError::Format => problem(
                "id_number_format",
                "the ID number is not 17 digits and a digit or X",
            ),
            ResidentIdError::Checksum => problem(
                "id_number_checksum",
                "the ID number's check digit does not match",
            ),
        })?),
        None => None,
    };
    let birth = match &id {
        Some(id) => Some(birth_date(id).ok_or(problem(
            "id_number_birth_date",
            "the ID number holds no valid birth date",
        ))?),
        None => None,
    };
    if birth.is_some_and(|b| b > today) {
        return Err(problem(
            "id_number_birth_date",
            "the ID number's birth date is in the future",
        ));
    }
    if let Some(phone) = row.phone {
        if phone.len() > 20
            || !phone
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | ' '))
        {
            return Err(problem("phone_format", "the phone number is not valid"));
        }
    }
    let mut reasons = Vec::new();
    if birth.is_some_and(|b| is_minor_on(b, today)) {
        reasons.push(FlagReason::Minor);
    }
    if row.disabled.is_some_and(is_yes) {
        reasons.push(FlagReason::Disabled);
    }
    if row.veteran.is_some_and(is_yes) {
        reasons.push(FlagReason::Veteran);
    }
    if row.poor_household.is_some_and(is_yes) {
        reasons.push(FlagReason::PoorHousehold);
    }
    if row.compensation.is_some_and(compensation_unpaid) {
        reasons.push(FlagReason::CompensationUnpaid);
    }
    Ok(ScreenedRow {
        case_ref: case_ref.to_string(),
        name: name.to_string(),
        id_number: id.map(|i| i.as_str().to_string()),
        village: row.village.map(str::to_string),
        phone: row.phone.map(str::to_string),
        reasons,
    })
}

// ---- API shapes ------------------------------------------------------------

/// One row that could not be imported.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScreeningRowError {
    /// The line of the file (CSV) or the sheet row (XLSX), the heading being line 1.
    pub line: i64,
    /// Stable code, e.g. `id_number_checksum`, `unknown_village`.
    pub code: String,
    pub message: String,
}

/// An uploaded file and what came of it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScreeningImportView {
    pub id: i64,
    pub file_name: String,
    /// `needs_mapping` (waiting for the officer to choose the columns) or `imported`.
    pub status: String,
    pub uploaded_by: crate::api::NamedRef,
    /// UTC unix milliseconds.
    pub uploaded_at: i64,
    /// Data rows read (the heading not counted).
    pub rows_total: i64,
    /// New flags created.
    pub rows_flagged: i64,
    /// Rows whose person was already flagged for the same case (by this or an earlier file).
    pub rows_known: i64,
    /// Rows that could not be read; see `errors`.
    pub rows_error: i64,
    /// The columns used, once imported.
    pub mapping: Option<ColumnMapping>,
    pub errors: Vec<ScreeningRowError>,
}

/// The answer to an upload or to a chosen mapping.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScreeningUpload {
    /// `imported`; `already_imported` (the same file was imported before: nothing new
    /// was written); or `needs_mapping` (choose the columns, then POST the mapping).
    pub outcome: String,
    pub import: ScreeningImportView,
    /// The headings of the file, for the mapping form.
    pub headers: Vec<String>,
    /// The proposed mapping: the remembered one where it fits, otherwise guessed.
    pub proposed: ColumnMapping,
}

/// A person the screening flagged.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScreeningFlagView {
    pub id: i64,
    pub import_id: i64,
    pub line: i64,
    pub criminal_case_ref: String,
    /// Masked (张*明) in lists.
    pub name: String,
    /// Masked.
    pub id_number: Option<String>,
    /// The village found by name, if the row named one.
    pub village: Option<crate::api::NamedRef>,
    /// Masked.
    pub phone: Option<String>,
    pub reasons: Vec<FlagReason>,
    /// open, lead or dismissed
    pub status: String,
    pub dismiss_reason: Option<String>,
    pub lead_id: Option<i64>,
    pub created_at: i64,
}

/// Turns a flag into an aid lead.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FlagToLead {
    /// The person's village, when the row named none.
    #[serde(default)]
    pub village_id: Option<i64>,
    /// Create it even though the same person already has an open lead or case.
    #[serde(default)]
    pub confirm_duplicate: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DismissFlag {
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idcard::with_check_char;

    fn headers(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn id_born(date: &str) -> String {
        with_check_char(&format!("340422{date}123")).unwrap()
    }

    #[test]
    fn guesses_common_chinese_headings() {
        let h = headers(&[
            "序号",
            "案号",
            "被害人姓名",
            "被害人身份证号",
            "住址所在村",
            "联系电话",
            "是否残疾",
            "是否退役军人",
            "是否建档立卡",
            "赔偿情况",
        ]);
        let m = guess_mapping(&h);
        assert_eq!(m.case_ref.as_deref(), Some("案号"));
        assert_eq!(m.victim_name.as_deref(), Some("被害人姓名"));
        assert_eq!(m.id_number.as_deref(), Some("被害人身份证号"));
        assert_eq!(m.village.as_deref(), Some("住址所在村"));
        assert_eq!(m.phone.as_deref(), Some("联系电话"));
        assert_eq!(m.disabled.as_deref(), Some("是否残疾"));
        assert_eq!(m.veteran.as_deref(), Some("是否退役军人"));
        assert_eq!(m.poor_household.as_deref(), Some("是否建档立卡"));
        assert_eq!(m.compensation.as_deref(), Some("赔偿情况"));
        assert!(m.resolve(&h).is_ok());
    }

    #[test]
    fn guesses_variants_and_english_headings() {
        let h = headers(&[
            "案件编号",
            "姓名",
            "公民身份号码",
            "村居",
            "低保",
            "是否获得赔偿",
        ]);
        let m = guess_mapping(&h);
        assert_eq!(m.case_ref.as_deref(), Some("案件编号"));
        assert_eq!(m.victim_name.as_deref(), Some("姓名"));
        assert_eq!(m.id_number.as_deref(), Some("公民身份号码"));
        assert_eq!(m.village.as_deref(), Some("村居"));
        assert_eq!(m.poor_household.as_deref(), Some("低保"));
        assert_eq!(m.compensation.as_deref(), Some("是否获得赔偿"));

        let h = headers(&[
            "Case No",
            "Victim Name",
            "ID Number",
            "Village",
            "Phone",
            "Veteran",
        ]);
        let m = guess_mapping(&h);
        assert_eq!(m.case_ref.as_deref(), Some("Case No"));
        assert_eq!(m.victim_name.as_deref(), Some("Victim Name"));
        assert_eq!(m.id_number.as_deref(), Some("ID Number"));
        assert_eq!(m.village.as_deref(), Some("Village"));
        assert_eq!(m.phone.as_deref(), Some("Phone"));
        assert_eq!(m.veteran.as_deref(), Some("Veteran"));
    }

    #[test]
    fn an_exact_heading_wins_over_one_that_merely_contains_the_word() {
        let h = headers(&["家属姓名", "姓名", "案号"]);
        assert_eq!(guess_mapping(&h).victim_name.as_deref(), Some("姓名"));
    }

    #[test]
    fn unknown_headings_leave_required_fields_missing() {
        let h = headers(&["列1", "列2"]);
        let m = guess_mapping(&h);
        assert_eq!(m, ColumnMapping::default());
        assert_eq!(
            m.resolve(&h),
            Err(vec![ScreeningField::CaseRef, ScreeningField::VictimName])
        );
    }

    #[test]
    fn resolving_ignores_spacing_and_marks_and_merging_prefers_the_remembered_choice() {
        let h = headers(&["\u{feff}* 案 号", "被害人", "备注"]);
        let remembered = ColumnMapping {
            case_ref: Some("案号".into()),
            victim_name: Some("被害人".into()),
            phone: Some("电话".into()),
            ..ColumnMapping::default()
        };
        let index = remembered.resolve(&h).unwrap();
        let row = headers(&["寿公刑〔2026〕1号", " 张三 ", "x"]);
        assert_eq!(
            index.cell(&row, ScreeningField::CaseRef),
            Some("寿公刑〔2026〕1号")
        );
        assert_eq!(index.cell(&row, ScreeningField::VictimName), Some("张三"));
        assert_eq!(index.cell(&row, ScreeningField::Phone), None);

        let guess = ColumnMapping {
            victim_name: Some("备注".into()),
            disabled: Some("备注".into()),
            ..ColumnMapping::default()
        };
        let merged = remembered.merged_with(&guess, &h);
        assert_eq!(merged.victim_name.as_deref(), Some("被害人"));
        assert_eq!(merged.disabled.as_deref(), Some("备注"));
        assert_eq!(merged.phone, None, "a heading not in the file is dropped");
    }

    #[test]
    fn yes_and_no_cells() {
        for yes in [
            "是",
            "Y",
            "yes",
            "TRUE",
            "1",
            "√",
            " 是（肢体二级） ",
            "有残疾证",
        ] {
            assert!(is_yes(yes), "{yes}");
        }
        for no in ["", "否", "N", "no", "0", "无", "不详", "有无不详"] {
            assert!(!is_yes(no), "{no}");
        }
    }

    #[test]
    fn compensation_cells() {
        for unpaid in [
            "未赔偿",
            "未履行",
            "否",
            "无",
            "0",
            "0元",
            "部分赔偿",
            "被告人无力赔偿",
            "No",
            "unpaid",
        ] {
            assert!(compensation_unpaid(unpaid), "{unpaid}");
        }
        for paid_or_unknown in [
            "",
            "未知",
            "不详",
            "已赔偿",
            "已全部履行",
            "是",
            "5000元",
            "已达成谅解",
        ] {
            assert!(!compensation_unpaid(paid_or_unknown), "{paid_or_unknown}");
        }
    }

    #[test]
    fn a_person_is_a_minor_through_the_eighteenth_birthday() {
        let today = (2026, 11, 30);
        assert!(is_minor_on((2008, 12, 1), today), "17, turns 18 tomorrow");
        assert!(
            is_minor_on((2008, 11, 30), today),
            "18th birthday today: 18 from tomorrow"
        );
        assert!(
            !is_minor_on((2008, 11, 29), today),
            "18th birthday yesterday"
        );
        assert!(is_minor_on((2026, 11, 30), today), "born today");
        assert!(!is_minor_on((1990, 1, 1), today));
    }

    #[test]
    fn a_leap_day_birthday_falls_on_28_february_in_a_common_year() {
        // 18 years after 2008-02-29 is the common year 2026.
        assert!(is_minor_on((2008, 2, 29), (2026, 2, 27)));
        assert!(is_minor_on((2008, 2, 29), (2026, 2, 28)));
        assert!(!is_minor_on((2008, 2, 29), (2026, 3, 1)));
        // 18 years after a leap year is never one (18 ≡ 2 mod 4), so every
        // leap-day birth turns 18 the day after 28 February.
        assert!(is_minor_on((2012, 2, 29), (2030, 2, 28)));
        assert!(!is_minor_on((2012, 2, 29), (2030, 3, 1)));
        assert!(!is_minor_on((2004, 2, 29), (2026, 11, 30)));
    }

    #[test]
    fn the_birth_date_comes_from_the_id_number() {
        let id = ResidentId::parse(&id_born("20080229")).unwrap();
        assert_eq!(birth_date(&id), Some((2008, 2, 29)));
    }

    fn row<'a>(case_ref: &'a str, name: &'a str, id: Option<&'a str>) -> RawRow<'a> {
        RawRow {
            case_ref: Some(case_ref),
            name: Some(name),
            id_number: id,
            ..RawRow::default()
        }
    }

    #[test]
    fn a_row_gets_every_reason_that_applies() {
        let id = id_born("20100515");
        let raw = RawRow {
            disabled: Some("是"),
            veteran: Some("否"),
            poor_household: Some("Y"),
            compensation: Some("未赔偿"),
            phone: Some("139 1234 5678"),
            village: Some("小甸村"),
            ..row("寿公刑〔2026〕12号", "林小满", Some(&id))
        };
        let screened = screen_row(&raw, (2026, 11, 30)).unwrap();
        assert_eq!(
            screened.reasons,
            vec![
                FlagReason::Minor,
                FlagReason::Disabled,
                FlagReason::PoorHousehold,
                FlagReason::CompensationUnpaid
            ]
        );
        assert_eq!(screened.village.as_deref(), Some("小甸村"));
        assert_eq!(screened.dedupe_key(), format!("寿公刑〔2026〕12号|id:{id}"));
    }

    #[test]
    fn an_adult_with_nothing_to_note_gets_no_reason() {
        let id = id_born("19800101");
        let screened = screen_row(&row("A1", "张三", Some(&id)), (2026, 11, 30)).unwrap();
        assert!(screened.reasons.is_empty());
        let screened = screen_row(&row("A 1", "张三", None), (2026, 11, 30)).unwrap();
        assert!(screened.reasons.is_empty());
        assert_eq!(screened.dedupe_key(), "A1|name:张三");
    }

    #[test]
    fn malformed_rows_are_refused_with_a_code() {
        let today = (2026, 11, 30);
        let code = |r: RawRow<'_>| screen_row(&r, today).map(|_| ()).unwrap_err().code;
        assert_eq!(
            code(RawRow {
                case_ref: None,
                ..row("", "张三", None)
            }),
            "case_ref_required"
        );
        assert_eq!(
            code(RawRow {
                name: None,
                ..row("A1", "", None)
            }),
            "name_required"
        );
        assert_eq!(code(row("A1", "张三", Some("12345"))), "id_number_format");
        assert_eq!(
            code(row("A1", "张三", Some("110105194912310021"))),
            "id_number_checksum"
        );
        let unborn = id_born("20270101");
        assert_eq!(
            code(row("A1", "张三", Some(&unborn))),
            "id_number_birth_date"
        );
        assert_eq!(
            code(RawRow {
                phone: Some("call me"),
                ..row("A1", "张三", None)
            }),
            "phone_format"
        );
    }

    #[test]
    fn reasons_round_trip_as_text_and_map_to_priority_groups() {
        let all = FlagReason::ALL.to_vec();
        assert_eq!(reasons_from_text(&reasons_to_text(&all)), all);
        assert_eq!(reasons_from_text(""), vec![]);
        assert_eq!(
            FlagReason::Minor.priority_group(),
            Some(PriorityGroup::Minor)
        );
        assert_eq!(FlagReason::CompensationUnpaid.priority_group(), None);
    }
}
