//! Aid money: plans and their running totals, installments, payments,
//! supervision, money documents (scans and photos kept in the database),
//! spending records and their notes, phone checks.
//!
//! Every change to money first locks the case ([`lock_case`]), so the checks
//! the service makes inside the transaction see the latest totals; the
//! totals themselves move only through conditional UPDATEs that refuse to
//! break `confirmed <= spent <= paid <= approved`, and the table's CHECK
//! refuses it once more.

use sqlx::FromRow;

use super::{on_db, on_tx, Db, StorageResult, Tx};

#[derive(Debug, Clone, FromRow)]
pub struct PlanRow {
    pub case_id: i64,
    pub kind: String,
    pub supervised: bool,
    pub approved_fen: i64,
    pub paid_fen: i64,
    pub spent_fen: i64,
    pub confirmed_fen: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct InstallmentRow {
    pub id: i64,
    pub case_id: i64,
    pub seq: i64,
    pub due_on: String,
    pub amount_fen: i64,
    pub override_reason: Option<String>,
    pub payment_id: Option<i64>,
}

#[derive(Debug, Clone, FromRow)]
pub struct PaymentRow {
    pub id: i64,
    pub case_id: i64,
    pub installment_id: i64,
    pub amount_fen: i64,
    pub paid_on: String,
    pub method: String,
    pub reference: String,
    pub recorded_by: i64,
    pub recorded_by_name: String,
}

pub struct NewPayment<'a> {
    pub case_id: i64,
    pub installment_id: i64,
    pub amount_fen: i64,
    pub paid_on: &'a str,
    pub method: &'a str,
    pub reference: &'a str,
    pub recorded_by: i64,
    pub now: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct DocumentRow {
    pub id: i64,
    pub case_id: i64,
    pub kind: String,
    pub content_type: String,
    pub size: i64,
    pub uploaded_at: i64,
}

pub struct NewDocument<'a> {
    pub case_id: i64,
    pub kind: &'a str,
    pub content_type: &'a str,
    pub content: &'a [u8],
    pub uploaded_by: i64,
    pub now: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct SupervisionRow {
    pub guardian_person_id: i64,
    pub guardian_name: String,
    pub agreement_signed_on: String,
    pub pledge_signed_on: String,
}

#[derive(Debug, Clone, FromRow)]
pub struct SpendingRow {
    pub id: i64,
    pub case_id: i64,
    pub amount_fen: i64,
    pub purpose: String,
    pub spent_on: String,
    pub note: Option<String>,
    pub receipt_document_id: Option<i64>,
    pub status: String,
    pub entered_by: i64,
    pub entered_by_name: String,
    pub entered_at: i64,
}

pub struct NewSpending<'a> {
    pub case_id: i64,
    pub amount_fen: i64,
    pub purpose: &'a str,
    pub spent_on: &'a str,
    pub note: Option<&'a str>,
    pub receipt_document_id: Option<i64>,
    pub entered_by: i64,
    pub now: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct SpendingNoteRow {
    pub spending_id: i64,
    pub at: i64,
    pub actor_id: i64,
    pub actor_name: String,
    pub action: String,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, FromRow)]
pub struct PhoneCheckRow {
    pub id: i64,
    pub payment_id: i64,
    pub checked_on: String,
    pub spoke_with: String,
    pub said_received_fen: i64,
    pub note: Option<String>,
    pub checked_by: i64,
    pub checked_by_name: String,
    pub checked_at: i64,
}

pub struct NewPhoneCheck<'a> {
    pub payment_id: i64,
    pub checked_on: &'a str,
    pub spoke_with: &'a str,
    pub said_received_fen: i64,
    pub note: Option<&'a str>,
    pub checked_by: i64,
    pub now: i64,
}

/// Whose supervised children a list shows.
#[derive(Debug, Clone, Copy)]
pub enum SupervisedScope {
    Village(i64),
    Officer(i64),
    All,
}

#[derive(Debug, Clone, FromRow)]
pub struct SupervisedRow {
    pub case_id: i64,
    pub child_id: i64,
    pub child_name: String,
    pub village_id: i64,
    pub village_name: String,
    pub guardian_name: Option<String>,
    pub approved_fen: i64,
    pub paid_fen: i64,
    pub spent_fen: i64,
    pub confirmed_fen: i64,
}

/// Serialises money changes of one case. PostgreSQL locks the case row until
/// the transaction ends, across server instances; SQLite already holds the
/// database's write lock since `BEGIN IMMEDIATE`. False when there is no such case.
pub async fn lock_case(tx: &mut Tx, case_id: i64) -> StorageResult<bool> {
    let found = match tx {
        Tx::Sqlite(tx, _) => {
            sqlx::query_scalar::<_, i64>("SELECT id FROM cases WHERE id = $1")
                .bind(case_id)
                .fetch_optional(&mut **tx)
                .await?
        }
        Tx::Postgres(tx) => {
            sqlx::query_scalar::<_, i64>("SELECT id FROM cases WHERE id = $1 FOR UPDATE")
                .bind(case_id)
                .fetch_optional(&mut **tx)
                .await?
        }
    };
    Ok(found.is_some())
}

/// When the case was approved (the latest approval), UTC ms.
pub async fn decided_at(db: &Db, case_id: i64) -> StorageResult<Option<i64>> {
    let sql = "SELECT MAX(at) FROM case_events WHERE case_id = $1 AND action = 'approve'";
    on_db!(db, pool => sqlx::query_scalar::<_, Option<i64>>(sql).bind(case_id).fetch_one(pool).await)
}

pub async fn decided_at_tx(tx: &mut Tx, case_id: i64) -> StorageResult<Option<i64>> {
    let sql = "SELECT MAX(at) FROM case_events WHERE case_id = $1 AND action = 'approve'";
    on_tx!(tx, conn => sqlx::query_scalar::<_, Option<i64>>(sql).bind(case_id).fetch_one(conn).await)
}

const PLAN_SELECT: &str =
    "SELECT case_id, kind, supervised, approved_fen, paid_fen, spent_fen, confirmed_fen, \
     created_at, updated_at FROM money_plans WHERE case_id = $1";

pub async fn find_plan(db: &Db, case_id: i64) -> StorageResult<Option<PlanRow>> {
    on_db!(db, pool => sqlx::query_as::<_, PlanRow>(PLAN_SELECT).bind(case_id).fetch_optional(pool).await)
}

pub async fn find_plan_tx(tx: &mut Tx, case_id: i64) -> StorageResult<Option<PlanRow>> {
    on_tx!(tx, conn => sqlx::query_as::<_, PlanRow>(PLAN_SELECT).bind(case_id).fetch_optional(conn).await)
}

pub async fn insert_plan(
    tx: &mut Tx,
    case_id: i64,
    kind: &str,
    supervised: bool,
    approved_fen: i64,
    created_by: i64,
    now: i64,
) -> StorageResult<()> {
    let sql = "INSERT INTO money_plans (case_id, kind, supervised, approved_fen, created_by, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $6)";
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(case_id)
        .bind(kind)
        .bind(supervised)
        .bind(approved_fen)
        .bind(created_by)
        .bind(now)
        .execute(conn)
        .await
        .map(|_| ()))
}

pub async fn update_plan(
    tx: &mut Tx,
    case_id: i64,
    kind: &str,
    supervised: bool,
    now: i64,
) -> StorageResult<()> {
    let sql =
        "UPDATE money_plans SET kind = $1, supervised = $2, updated_at = $3 WHERE case_id = $4";
    on_tx!(tx, conn => sqlx::query(sql).bind(kind).bind(supervised).bind(now).bind(case_id).execute(conn).await.map(|_| ()))
}

/// Adds to a running total if the invariant still holds afterwards; false
/// (and nothing changed) when it would not.
async fn add_to_total(
    tx: &mut Tx,
    case_id: i64,
    column: Total,
    amount: i64,
    now: i64,
) -> StorageResult<bool> {
    // The column names are ours, never from the request.
    let sql = match column {
        Total::Paid => {
            "UPDATE money_plans SET paid_fen = paid_fen + $1, updated_at = $2 \
                        WHERE case_id = $3 AND paid_fen + $1 <= approved_fen"
        }
        Total::Spent => {
            "UPDATE money_plans SET spent_fen = spent_fen + $1, updated_at = $2 \
                         WHERE case_id = $3 AND spent_fen + $1 <= paid_fen"
        }
        Total::Confirmed => {
            "UPDATE money_plans SET confirmed_fen = confirmed_fen + $1, updated_at = $2 \
                             WHERE case_id = $3 AND confirmed_fen + $1 <= spent_fen"
        }
    };
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(amount)
        .bind(now)
        .bind(case_id)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

#[derive(Debug, Clone, Copy)]
enum Total {
    Paid,
    Spent,
    Confirmed,
}

pub async fn add_paid(tx: &mut Tx, case_id: i64, amount: i64, now: i64) -> StorageResult<bool> {
    add_to_total(tx, case_id, Total::Paid, amount, now).await
}

pub async fn add_spent(tx: &mut Tx, case_id: i64, amount: i64, now: i64) -> StorageResult<bool> {
    add_to_total(tx, case_id, Total::Spent, amount, now).await
}

pub async fn add_confirmed(
    tx: &mut Tx,
    case_id: i64,
    amount: i64,
    now: i64,
) -> StorageResult<bool> {
    add_to_total(tx, case_id, Total::Confirmed, amount, now).await
}

const INSTALLMENT_SELECT: &str = "SELECT i.id, i.case_id, i.seq, i.due_on, i.amount_fen, i.override_reason, \
     p.id AS payment_id FROM money_installments i LEFT JOIN money_payments p ON p.installment_id = i.id";

pub async fn installments(db: &Db, case_id: i64) -> StorageResult<Vec<InstallmentRow>> {
    let sql = format!("{INSTALLMENT_SELECT} WHERE i.case_id = $1 ORDER BY i.seq");
    on_db!(db, pool => sqlx::query_as::<_, InstallmentRow>(&sql).bind(case_id).fetch_all(pool).await)
}

pub async fn installments_tx(tx: &mut Tx, case_id: i64) -> StorageResult<Vec<InstallmentRow>> {
    let sql = format!("{INSTALLMENT_SELECT} WHERE i.case_id = $1 ORDER BY i.seq");
    on_tx!(tx, conn => sqlx::query_as::<_, InstallmentRow>(&sql).bind(case_id).fetch_all(conn).await)
}

/// The case an installment belongs to (read before the case is locked).
pub async fn installment_case(db: &Db, id: i64) -> StorageResult<Option<i64>> {
    let sql = "SELECT case_id FROM money_installments WHERE id = $1";
    on_db!(db, pool => sqlx::query_scalar::<_, i64>(sql).bind(id).fetch_optional(pool).await)
}

/// Removes the installments not paid yet, when a plan is replaced.
pub async fn delete_unpaid_installments(tx: &mut Tx, case_id: i64) -> StorageResult<()> {
    let sql = "DELETE FROM money_installments WHERE case_id = $1 \
               AND id NOT IN (SELECT installment_id FROM money_payments WHERE case_id = $1)";
    on_tx!(tx, conn => sqlx::query(sql).bind(case_id).execute(conn).await.map(|_| ()))
}

pub async fn insert_installment(
    tx: &mut Tx,
    case_id: i64,
    seq: i64,
    due_on: &str,
    amount_fen: i64,
) -> StorageResult<()> {
    let sql =
        "INSERT INTO money_installments (case_id, seq, due_on, amount_fen) VALUES ($1, $2, $3, $4)";
    on_tx!(tx, conn => sqlx::query(sql).bind(case_id).bind(seq).bind(due_on).bind(amount_fen).execute(conn).await.map(|_| ()))
}

/// A supervisor's release of an unpaid installment without proof of use.
pub async fn set_override(
    tx: &mut Tx,
    installment_id: i64,
    reason: &str,
    by: i64,
    now: i64,
) -> StorageResult<bool> {
    let sql =
        "UPDATE money_installments SET override_reason = $1, override_by = $2, override_at = $3 \
               WHERE id = $4 AND id NOT IN (SELECT installment_id FROM money_payments)";
    let n = on_tx!(tx, conn => sqlx::query(sql).bind(reason).bind(by).bind(now).bind(installment_id)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Records a payment. A second payment of the same installment fails on the
/// UNIQUE constraint, whichever instance sends it.
pub async fn insert_payment(tx: &mut Tx, payment: &NewPayment<'_>) -> StorageResult<i64> {
    let sql = "INSERT INTO money_payments (case_id, installment_id, amount_fen, paid_on, method, reference, recorded_by, recorded_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
    on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(sql)
        .bind(payment.case_id)
        .bind(payment.installment_id)
        .bind(payment.amount_fen)
        .bind(payment.paid_on)
        .bind(payment.method)
        .bind(payment.reference)
        .bind(payment.recorded_by)
        .bind(payment.now)
        .fetch_one(conn)
        .await)
}

const PAYMENT_SELECT: &str = "SELECT p.id, p.case_id, p.installment_id, p.amount_fen, p.paid_on, p.method, p.reference, \
     p.recorded_by, u.display_name AS recorded_by_name FROM money_payments p JOIN users u ON u.id = p.recorded_by";

pub async fn payments(db: &Db, case_id: i64) -> StorageResult<Vec<PaymentRow>> {
    let sql = format!("{PAYMENT_SELECT} WHERE p.case_id = $1 ORDER BY p.id");
    on_db!(db, pool => sqlx::query_as::<_, PaymentRow>(&sql).bind(case_id).fetch_all(pool).await)
}

pub async fn find_payment_tx(tx: &mut Tx, id: i64) -> StorageResult<Option<PaymentRow>> {
    let sql = format!("{PAYMENT_SELECT} WHERE p.id = $1");
    on_tx!(tx, conn => sqlx::query_as::<_, PaymentRow>(&sql).bind(id).fetch_optional(conn).await)
}

pub async fn payment_case(db: &Db, id: i64) -> StorageResult<Option<i64>> {
    let sql = "SELECT case_id FROM money_payments WHERE id = $1";
    on_db!(db, pool => sqlx::query_scalar::<_, i64>(sql).bind(id).fetch_optional(pool).await)
}

pub async fn insert_document(tx: &mut Tx, doc: &NewDocument<'_>) -> StorageResult<i64> {
    let sql = "INSERT INTO money_documents (case_id, kind, content_type, size, content, uploaded_by, uploaded_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
    let size = i64::try_from(doc.content.len()).unwrap_or(i64::MAX);
    on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(sql)
        .bind(doc.case_id)
        .bind(doc.kind)
        .bind(doc.content_type)
        .bind(size)
        .bind(doc.content)
        .bind(doc.uploaded_by)
        .bind(doc.now)
        .fetch_one(conn)
        .await)
}

const DOCUMENT_SELECT: &str =
    "SELECT id, case_id, kind, content_type, size, uploaded_at FROM money_documents";

pub async fn find_document(db: &Db, id: i64) -> StorageResult<Option<DocumentRow>> {
    let sql = format!("{DOCUMENT_SELECT} WHERE id = $1");
    on_db!(db, pool => sqlx::query_as::<_, DocumentRow>(&sql).bind(id).fetch_optional(pool).await)
}

pub async fn find_document_tx(tx: &mut Tx, id: i64) -> StorageResult<Option<DocumentRow>> {
    let sql = format!("{DOCUMENT_SELECT} WHERE id = $1");
    on_tx!(tx, conn => sqlx::query_as::<_, DocumentRow>(&sql).bind(id).fetch_optional(conn).await)
}

pub async fn case_documents(db: &Db, case_id: i64) -> StorageResult<Vec<DocumentRow>> {
    let sql = format!("{DOCUMENT_SELECT} WHERE case_id = $1 ORDER BY id");
    on_db!(db, pool => sqlx::query_as::<_, DocumentRow>(&sql).bind(case_id).fetch_all(pool).await)
}

pub async fn document_content(db: &Db, id: i64) -> StorageResult<Option<Vec<u8>>> {
    let sql = "SELECT content FROM money_documents WHERE id = $1";
    on_db!(db, pool => sqlx::query_scalar::<_, Vec<u8>>(sql).bind(id).fetch_optional(pool).await)
}

/// Records (or re-records) the agreement and pledge, with their scans.
#[allow(clippy::too_many_arguments)]
pub async fn upsert_supervision(
    tx: &mut Tx,
    case_id: i64,
    guardian_person_id: i64,
    agreement_signed_on: &str,
    pledge_signed_on: &str,
    document_ids: &[i64],
    recorded_by: i64,
    now: i64,
) -> StorageResult<()> {
    let sql = "INSERT INTO money_supervision (case_id, guardian_person_id, agreement_signed_on, pledge_signed_on, recorded_by, recorded_at) \
               VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (case_id) DO UPDATE SET \
               guardian_person_id = excluded.guardian_person_id, agreement_signed_on = excluded.agreement_signed_on, \
               pledge_signed_on = excluded.pledge_signed_on, recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at";
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(case_id)
        .bind(guardian_person_id)
        .bind(agreement_signed_on)
        .bind(pledge_signed_on)
        .bind(recorded_by)
        .bind(now)
        .execute(conn)
        .await
        .map(|_| ()))?;
    let sql = "DELETE FROM money_supervision_documents WHERE case_id = $1";
    on_tx!(tx, conn => sqlx::query(sql).bind(case_id).execute(conn).await.map(|_| ()))?;
    for id in document_ids {
        let sql = "INSERT INTO money_supervision_documents (case_id, document_id) VALUES ($1, $2)";
        on_tx!(tx, conn => sqlx::query(sql).bind(case_id).bind(*id).execute(conn).await.map(|_| ()))?;
    }
    Ok(())
}

const SUPERVISION_SELECT: &str = "SELECT s.guardian_person_id, p.name AS guardian_name, s.agreement_signed_on, s.pledge_signed_on \
     FROM money_supervision s JOIN people p ON p.id = s.guardian_person_id WHERE s.case_id = $1";

pub async fn find_supervision(db: &Db, case_id: i64) -> StorageResult<Option<SupervisionRow>> {
    on_db!(db, pool => sqlx::query_as::<_, SupervisionRow>(SUPERVISION_SELECT).bind(case_id).fetch_optional(pool).await)
}

/// The kinds of the scans linked to the case's supervision record: both
/// `agreement` and `pledge` must be there before an installment is paid.
pub async fn supervision_document_kinds_tx(
    tx: &mut Tx,
    case_id: i64,
) -> StorageResult<Vec<String>> {
    let sql = "SELECT DISTINCT d.kind FROM money_supervision_documents sd \
               JOIN money_documents d ON d.id = sd.document_id WHERE sd.case_id = $1";
    on_tx!(tx, conn => sqlx::query_scalar::<_, String>(sql).bind(case_id).fetch_all(conn).await)
}

pub async fn supervision_document_ids(db: &Db, case_id: i64) -> StorageResult<Vec<i64>> {
    let sql =
        "SELECT document_id FROM money_supervision_documents WHERE case_id = $1 ORDER BY document_id";
    on_db!(db, pool => sqlx::query_scalar::<_, i64>(sql).bind(case_id).fetch_all(pool).await)
}

pub async fn insert_spending(tx: &mut Tx, s: &NewSpending<'_>) -> StorageResult<i64> {
    let sql = "INSERT INTO money_spending (case_id, amount_fen, purpose, spent_on, note, receipt_document_id, status, entered_by, entered_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $8) RETURNING id";
    on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(sql)
        .bind(s.case_id)
        .bind(s.amount_fen)
        .bind(s.purpose)
        .bind(s.spent_on)
        .bind(s.note)
        .bind(s.receipt_document_id)
        .bind(s.entered_by)
        .bind(s.now)
        .fetch_one(conn)
        .await)
}

const SPENDING_SELECT: &str =
    "SELECT s.id, s.case_id, s.amount_fen, s.purpose, s.spent_on, s.note, s.receipt_document_id, \
     s.status, s.entered_by, u.display_name AS entered_by_name, s.entered_at \
     FROM money_spending s JOIN users u ON u.id = s.entered_by";

pub async fn spending(db: &Db, case_id: i64) -> StorageResult<Vec<SpendingRow>> {
    let sql = format!("{SPENDING_SELECT} WHERE s.case_id = $1 ORDER BY s.spent_on, s.id");
    on_db!(db, pool => sqlx::query_as::<_, SpendingRow>(&sql).bind(case_id).fetch_all(pool).await)
}

pub async fn find_spending_tx(tx: &mut Tx, id: i64) -> StorageResult<Option<SpendingRow>> {
    let sql = format!("{SPENDING_SELECT} WHERE s.id = $1");
    on_tx!(tx, conn => sqlx::query_as::<_, SpendingRow>(&sql).bind(id).fetch_optional(conn).await)
}

pub async fn spending_case(db: &Db, id: i64) -> StorageResult<Option<i64>> {
    let sql = "SELECT case_id FROM money_spending WHERE id = $1";
    on_db!(db, pool => sqlx::query_scalar::<_, i64>(sql).bind(id).fetch_optional(pool).await)
}

/// Moves a spending record from `from` to `to`; false when it was not in `from`.
pub async fn set_spending_status(
    tx: &mut Tx,
    id: i64,
    from: &str,
    to: &str,
    now: i64,
) -> StorageResult<bool> {
    let sql =
        "UPDATE money_spending SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4";
    let n = on_tx!(tx, conn => sqlx::query(sql).bind(to).bind(now).bind(id).bind(from)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn insert_spending_note(
    tx: &mut Tx,
    spending_id: i64,
    at: i64,
    actor_id: i64,
    action: &str,
    comment: Option<&str>,
) -> StorageResult<()> {
    let sql = "INSERT INTO money_spending_notes (spending_id, at, actor_id, action, comment) VALUES ($1, $2, $3, $4, $5)";
    on_tx!(tx, conn => sqlx::query(sql).bind(spending_id).bind(at).bind(actor_id).bind(action).bind(comment)
        .execute(conn).await.map(|_| ()))
}

/// The notes on every spending record of a case, oldest first.
pub async fn spending_notes(db: &Db, case_id: i64) -> StorageResult<Vec<SpendingNoteRow>> {
    let sql = "SELECT n.spending_id, n.at, n.actor_id, u.display_name AS actor_name, n.action, n.comment \
               FROM money_spending_notes n JOIN money_spending s ON s.id = n.spending_id \
               JOIN users u ON u.id = n.actor_id WHERE s.case_id = $1 ORDER BY n.id";
    on_db!(db, pool => sqlx::query_as::<_, SpendingNoteRow>(sql).bind(case_id).fetch_all(pool).await)
}

pub async fn insert_phone_check(tx: &mut Tx, c: &NewPhoneCheck<'_>) -> StorageResult<i64> {
    let sql = "INSERT INTO money_phone_checks (payment_id, checked_on, spoke_with, said_received_fen, note, checked_by, checked_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
    on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(sql)
        .bind(c.payment_id)
        .bind(c.checked_on)
        .bind(c.spoke_with)
        .bind(c.said_received_fen)
        .bind(c.note)
        .bind(c.checked_by)
        .bind(c.now)
        .fetch_one(conn)
        .await)
}

pub async fn phone_checks(db: &Db, case_id: i64) -> StorageResult<Vec<PhoneCheckRow>> {
    let sql = "SELECT c.id, c.payment_id, c.checked_on, c.spoke_with, c.said_received_fen, c.note, c.checked_by, \
               u.display_name AS checked_by_name, c.checked_at \
               FROM money_phone_checks c JOIN money_payments p ON p.id = c.payment_id \
               JOIN users u ON u.id = c.checked_by WHERE p.case_id = $1 ORDER BY c.id";
    on_db!(db, pool => sqlx::query_as::<_, PhoneCheckRow>(sql).bind(case_id).fetch_all(pool).await)
}

/// The supervised children in `scope`, with their totals.
pub async fn supervised(db: &Db, scope: SupervisedScope) -> StorageResult<Vec<SupervisedRow>> {
    let (condition, bind) = match scope {
        SupervisedScope::Village(id) => ("c.village_id = $1", id),
        SupervisedScope::Officer(id) => ("c.officer_id = $1", id),
        SupervisedScope::All => ("c.id > $1", 0),
    };
    let sql = format!(
        "SELECT c.id AS case_id, p.id AS child_id, p.name AS child_name, c.village_id, v.name AS village_name, \
         g.name AS guardian_name, m.approved_fen, m.paid_fen, m.spent_fen, m.confirmed_fen \
         FROM money_plans m JOIN cases c ON c.id = m.case_id JOIN people p ON p.id = c.applicant_id \
         JOIN villages v ON v.id = c.village_id \
         LEFT JOIN money_supervision s ON s.case_id = m.case_id LEFT JOIN people g ON g.id = s.guardian_person_id \
         WHERE m.supervised AND {condition} ORDER BY c.id DESC LIMIT 500"
    );
    on_db!(db, pool => sqlx::query_as::<_, SupervisedRow>(&sql).bind(bind).fetch_all(pool).await)
}
