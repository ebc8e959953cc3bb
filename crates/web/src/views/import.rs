//! What the spreadsheet imports of the protokoll, the systems and the assets share: the
//! uploaded form read into a table, and the page that says what was saved or lists every row
//! that was wrong (nothing is saved then).

use super::{render_status, Page};
use crate::error::PageError;
use crate::spreadsheet::{clean_file_name, table_from_upload};
use axum::extract::Multipart;
use axum::http::StatusCode;
use axum::response::Response;
use normverk_core::import::RowError;
use normverk_core::problem::ProblemKey;
use normverk_store::processing::Saved;
use normverk_store::StoreError;
use std::collections::HashMap;

/// A spreadsheet's rows, the first holding the headings.
pub type Table = Vec<Vec<String>>;

/// The form's `file` read as a table, and its other fields as text.
pub async fn read_upload(multipart: &mut Multipart) -> (HashMap<String, String>, Result<Table, Vec<RowError>>) {
    let mut fields = HashMap::new();
    let mut table = Err(vec![RowError::file(ProblemKey::ChooseFile)]);
    while let Ok(Some(field)) = multipart.next_field().await {
        let Some(key) = field.name().map(str::to_string) else { continue };
        if key == "file" {
            let name = clean_file_name(field.file_name().unwrap_or(""));
            table = match field.bytes().await {
                Ok(bytes) => table_from_upload(&name, &bytes).map_err(|e| vec![e]),
                Err(_) => Err(vec![RowError::file(ProblemKey::FileTooLarge)]),
            };
        } else if let Ok(text) = field.text().await {
            fields.insert(key, text);
        }
    }
    (fields, table)
}

/// A refused row as the page lists it, in the reader's language.
pub struct Line {
    pub row: usize,
    pub field: String,
    pub message: String,
}

impl Line {
    /// A refusal of the file as a whole.
    pub fn file(message: String) -> Line {
        Line { row: 0, field: String::new(), message }
    }
}

/// The refused rows, translated.
pub fn lines(page: &Page, errors: Vec<RowError>) -> Vec<Line> {
    errors.into_iter().map(|e| Line { row: e.row, message: page.problem(e.key, &e.args), field: e.field }).collect()
}

#[derive(askama::Template)]
#[template(path = "import_result.html")]
struct ImportPage<'a> {
    page: &'a Page,
    title_key: &'static str,
    back: &'static str,
    errors: Vec<Line>,
    saved: Option<Saved>,
}

/// The result of an import: the rows refused, or what saving them did. A save the store
/// refused (a name taken meanwhile, a system of another organisation) is shown like a bad row.
pub fn result_page(
    page: &Page,
    title_key: &'static str,
    back: &'static str,
    outcome: Result<Result<Saved, StoreError>, Vec<RowError>>,
) -> Result<Response, PageError> {
    let (errors, saved) = match outcome {
        Err(errors) => (lines(page, errors), None),
        Ok(Ok(saved)) => (Vec::new(), Some(saved)),
        Ok(Err(StoreError::Conflict(_))) => (vec![Line::file(page.t("import-conflict"))], None),
        Ok(Err(StoreError::Rejected(r))) => (vec![Line::file(page.rejection(&r))], None),
        Ok(Err(e)) => return Err(e.into()),
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render_status(status, &ImportPage { page, title_key, back, errors, saved })
}
