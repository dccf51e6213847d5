//! `costwatch.xlsx`: the spreadsheets as one workbook, for auditors who work in a spreadsheet
//! program. Every cell from the data is written as text or a number, never as a formula.

use std::path::Path;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};

use super::Error;
use super::table::{Sheet, neutralise};

/// A cell that is a plain number (and not an identifier with leading zeros) is written as one.
fn number(cell: &str) -> Option<f64> {
    let t = cell.trim();
    if t.is_empty() || t != cell || (t.len() > 1 && t.starts_with('0') && !t.starts_with("0.")) {
        return None;
    }
    t.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// A worksheet name as the format allows: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
        .take(31)
        .collect()
}

/// Writes the sheets into one workbook dated `as_of` (so that a rerun over the same data
/// writes the same bytes).
pub fn write(path: &Path, sheets: &[Sheet], as_of: &str) -> Result<(), Error> {
    let err = |e: rust_xlsxwriter::XlsxError| Error::Xlsx {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let mut book = Workbook::new();
    if let Ok(when) = ExcelDateTime::parse_from_str(as_of.get(..19).unwrap_or(as_of)) {
        book.set_properties(&DocProperties::new().set_creation_datetime(&when));
    }
    let bold = Format::new().set_bold();
    for sheet in sheets {
        let ws = book.add_worksheet();
        ws.set_name(sheet_name(&sheet.name)).map_err(err)?;
        for (r, row) in sheet.rows.iter().enumerate() {
            let r = u32::try_from(r).map_err(|_| Error::Xlsx {
                path: path.to_path_buf(),
                reason: format!("sheet {} has too many rows", sheet.name),
            })?;
            for (c, cell) in row.iter().enumerate() {
                let c = u16::try_from(c).unwrap_or(u16::MAX);
                if r == 0 {
                    ws.write_string_with_format(r, c, cell, &bold)
                        .map_err(err)?;
                } else if let Some(x) = number(cell) {
                    ws.write_number(r, c, x).map_err(err)?;
                } else {
                    ws.write_string(r, c, neutralise(cell).as_ref())
                        .map_err(err)?;
                }
            }
        }
        if !sheet.rows.is_empty() {
            ws.set_freeze_panes(1, 0).map_err(err)?;
            let last_col = sheet.rows[0].len().saturating_sub(1);
            let last_row = sheet.rows.len().saturating_sub(1);
            ws.autofilter(
                0,
                0,
                u32::try_from(last_row).unwrap_or(u32::MAX),
                u16::try_from(last_col).unwrap_or(u16::MAX),
            )
            .map_err(err)?;
        }
    }
    book.save(path).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_stay_numbers_and_ids_stay_text() {
        assert_eq!(number("65.63"), Some(65.63));
        assert_eq!(number("-3"), Some(-3.0));
        assert_eq!(number("007"), None);
        assert_eq!(number("8-NT-1-12345"), None);
        assert_eq!(sheet_name("a/b:c[d]"), "abcd");
    }

    #[test]
    fn a_workbook_is_written() {
        let t = tempfile::tempdir().expect("tempdir");
        let path = t.path().join("x.xlsx");
        let sheet = Sheet {
            name: "proyectos".into(),
            rows: vec![
                vec!["titulo".into(), "puntaje".into()],
                vec!["=1+1".into(), "50.5".into()],
            ],
        };
        write(&path, &[sheet], "2025-06-30T00:00:00Z").expect("write");
        let bytes = std::fs::read(&path).expect("read");
        // An XLSX file is a zip archive.
        assert!(bytes.starts_with(b"PK"));
    }
}
