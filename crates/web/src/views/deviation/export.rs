//! All deviations as XLSX and CSV.

use super::*;

const EXPORT_COLUMNS: [&str; 15] = [
    "Nr.",
    "Tittel",
    "Kategori",
    "Enhet",
    "System",
    "Status",
    "Type",
    "Alvorlighet",
    "Skjedde",
    "Oppdaget",
    "Personopplysningsbrudd",
    "Konsekvenser for registrerte",
    "Meldefrist Datatilsynet",
    "Meldt Datatilsynet",
    "Lukket",
];

async fn export_rows(state: &AppState, member: &Member) -> Result<Vec<Vec<String>>, PageError> {
    let units: HashMap<i64, String> =
        state.store.units(member.org.id).await?.into_iter().map(|u| (u.id, u.name)).collect();
    let lang = crate::i18n::Lang::Nb;
    let time = |t: Option<i64>| t.map(|t| lang.datetime(t)).unwrap_or_default();
    let yes_no = |b: Option<bool>| b.map(|b| if b { "ja" } else { "nei" }.to_string()).unwrap_or_default();
    let mut rows = Vec::new();
    let mut offset = 0;
    loop {
        let batch =
            state.store.deviations(member.org.id, &normverk_store::deviation::Visible::All, 5_000, offset).await?;
        let n = batch.len() as i64;
        for d in batch {
            rows.push(vec![
                d.number.to_string(),
                d.title.clone(),
                lang.t(&format!("dev-category-{}", d.category.as_str().replace('_', "-"))),
                d.unit_id.and_then(|u| units.get(&u).cloned()).unwrap_or_default(),
                d.system.clone().unwrap_or_default(),
                lang.t(&format!("dev-state-{}", d.state.as_str().replace('_', "-"))),
                d.kind.map(|k| lang.t(&format!("dev-kind-{}", k.as_str().replace('_', "-")))).unwrap_or_default(),
                d.severity.map(|k| lang.t(&format!("dev-severity-{k}"))).unwrap_or_default(),
                time(Some(d.occurred_at)),
                time(Some(d.aware_at)),
                yes_no(d.personal_data_breach),
                yes_no(d.consequences),
                time(d.notice_required.then(|| rules::notification_deadline(d.aware_at))),
                time(d.notice_complete_at),
                time(d.closed_at),
            ]);
        }
        if n < 5_000 {
            break;
        }
        offset += n;
    }
    Ok(rows)
}

pub async fn export_csv(State(state): State<AppState>, member: Member) -> Result<Response, PageError> {
    member.require(Action::ReadAllDeviations)?;
    let rows = export_rows(&state, &member).await?;
    let rows: Vec<&[String]> = rows.iter().map(|r| &r[..]).collect();
    let body = crate::spreadsheet::table_csv(&EXPORT_COLUMNS, &rows)?;
    Ok(crate::spreadsheet::download(body, "text/csv; charset=utf-8", &format!("avvik-{}.csv", member.org.org_number)))
}

pub async fn export_xlsx(State(state): State<AppState>, member: Member) -> Result<Response, PageError> {
    member.require(Action::ReadAllDeviations)?;
    let rows = export_rows(&state, &member).await?;
    let rows: Vec<&[String]> = rows.iter().map(|r| &r[..]).collect();
    let widths = [6.0, 40.0, 24.0, 20.0, 14.0, 16.0, 18.0, 12.0, 18.0, 18.0, 12.0, 12.0, 18.0, 18.0, 18.0];
    let body = crate::spreadsheet::table_xlsx(&EXPORT_COLUMNS, &rows, &widths, "Avvik")
        .map_err(|e| PageError::Internal(format!("xlsx: {e}")))?;
    Ok(crate::spreadsheet::download(
        body,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("avvik-{}.xlsx", member.org.org_number),
    ))
}
