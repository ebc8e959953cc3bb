//! Every spreadsheet in and out of normverk: tables written as XLSX (bold headings, frozen,
//! filtered, every cell text) or CSV for Excel (semicolons, a byte order mark), with formulas
//! defused, as downloads; and uploaded CSV or XLSX files read back as rows of text.

use crate::error::PageError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use normverk_core::import::RowError;
use normverk_core::problem::ProblemKey;

/// A cell's text as every export writes it: control characters other than line breaks and
/// tabs removed, so no export carries a raw NUL or escape, whatever was stored earlier.
pub fn clean(cell: &str) -> String {
    cell.chars().filter(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t')).collect()
}

/// A CSV cell: [`clean`], and a cell that Excel or LibreOffice would run as a formula given a
/// leading apostrophe, so exported data can never execute (XLSX cells are written as text).
pub fn defuse(cell: &str) -> String {
    let clean = clean(cell);
    if clean.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{clean}")
    } else {
        clean
    }
}

pub fn download(body: Vec<u8>, content_type: &'static str, file_name: &str) -> Response {
    // An ASCII name for every browser, and the real one (RFC 6266/5987) for those that read it.
    let ascii: String = file_name
        .chars()
        .map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' })
        .collect();
    let encoded: String = file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    let mut resp = (StatusCode::OK, body).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

/// A table as an XLSX workbook: bold headings, every cell a string (a value that looks like a
/// formula stays text), frozen heading, a filter.
pub fn table_xlsx(
    columns: &[&str],
    rows: &[&[String]],
    widths: &[f64],
    sheet_name: &str,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(sheet_name)?;
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    for (col, heading) in columns.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *heading, &bold)?;
    }
    for (i, row) in rows.iter().enumerate() {
        for (col, cell) in row.iter().enumerate() {
            sheet.write_string_with_format(i as u32 + 1, col as u16, clean(cell), &wrap)?;
        }
    }
    for (col, width) in widths.iter().enumerate() {
        sheet.set_column_width(col as u16, *width)?;
    }
    sheet.set_freeze_panes(1, 1)?;
    sheet.autofilter(0, 0, rows.len() as u32, columns.len().saturating_sub(1) as u16)?;
    workbook.save_to_buffer()
}

/// A table as a download: `csv` or `xlsx`, named `{stem}.{ext}`.
pub fn table_file(
    ext: &str,
    columns: &[&str],
    rows: &[&[String]],
    widths: &[f64],
    sheet_name: &str,
    stem: &str,
) -> Result<Response, PageError> {
    if ext == "csv" {
        return Ok(download(table_csv(columns, rows)?, "text/csv; charset=utf-8", &format!("{stem}.csv")));
    }
    let body = table_xlsx(columns, rows, widths, sheet_name).map_err(|e| PageError::Internal(format!("xlsx: {e}")))?;
    Ok(download(body, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", &format!("{stem}.xlsx")))
}

/// A JSON export as a download named `file`.
pub fn json_file(body: &serde_json::Value, file: &str) -> Result<Response, PageError> {
    let bytes = serde_json::to_vec_pretty(body).map_err(|e| PageError::Internal(format!("json: {e}")))?;
    Ok(download(bytes, "application/json", file))
}

/// A table as CSV for Excel: semicolons, a byte order mark, formulas defused.
pub fn table_csv(columns: &[&str], rows: &[&[String]]) -> Result<Vec<u8>, PageError> {
    let mut out = csv::WriterBuilder::new().delimiter(b';').from_writer(Vec::new());
    let err = |e: csv::Error| PageError::Internal(format!("csv: {e}"));
    out.write_record(columns.iter().map(|c| defuse(c))).map_err(err)?;
    for row in rows {
        out.write_record(row.iter().map(|c| defuse(c))).map_err(err)?;
    }
    let mut body = vec![0xEF, 0xBB, 0xBF]; // UTF-8 byte order mark, so Excel reads æøå right
    body.extend(out.into_inner().map_err(|e| PageError::Internal(format!("csv: {e}")))?);
    Ok(body)
}

/// A file name safe to store and to put in a header: no paths, no control characters.
pub fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base.chars().filter(|c| !c.is_control() && *c != '"').take(120).collect();
    if clean.trim().is_empty() {
        "fil".to_string()
    } else {
        clean.trim().to_string()
    }
}

/// The rows of an uploaded CSV (`;`, tab or `,` separated; UTF-8 or Windows-1252) or XLSX file.
pub fn table_from_upload(file_name: &str, bytes: &[u8]) -> Result<Vec<Vec<String>>, RowError> {
    let lower = file_name.to_ascii_lowercase();
    if lower.ends_with(".xlsx") {
        use calamine::{Data, Reader, Xlsx};
        let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec()))
            .map_err(|e| RowError::file(ProblemKey::FileUnreadable).arg("detail", e))?;
        let range = workbook
            .worksheet_range_at(0)
            .ok_or_else(|| RowError::file(ProblemKey::NoSheet))?
            .map_err(|e| RowError::file(ProblemKey::FileUnreadable).arg("detail", e))?;
        return Ok(range
            .rows()
            .map(|r| {
                r.iter()
                    .map(|c| match c {
                        Data::String(s) => s.clone(),
                        Data::Empty => String::new(),
                        Data::DateTime(d) => excel_serial_to_date(d.as_f64()).unwrap_or_default(),
                        other => other.to_string(),
                    })
                    .collect()
            })
            .collect());
    }
    if !lower.ends_with(".csv") {
        return Err(RowError::file(ProblemKey::FileType));
    }
    let text = normverk_core::import::decode_text(bytes);
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.contains(';') {
        b';'
    } else if first_line.contains('\t') {
        b'\t'
    } else {
        b','
    };
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut table = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| RowError::new(i + 1, "", ProblemKey::FileUnreadable).arg("detail", e))?;
        table.push(record.iter().map(|c| c.strip_prefix('\'').unwrap_or(c).to_string()).collect());
    }
    Ok(table)
}

/// Excel stores dates as days since 1899-12-30.
fn excel_serial_to_date(serial: f64) -> Option<String> {
    let days = serial.floor() as i64;
    let date = jiff::civil::date(1899, 12, 30).checked_add(jiff::Span::new().days(days)).ok()?;
    Some(date.to_string())
}

#[cfg(test)]
mod hygiene {
    #[test]
    fn exports_carry_no_raw_control_characters() {
        assert_eq!(super::clean("a\u{0}b\u{1b}[31m\nc\td\u{85}"), "ab[31m\nc\td");
        assert_eq!(super::defuse("\u{0}=1+1"), "'=1+1");
    }
}
