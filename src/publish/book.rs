//! `costwatch.xlsx`: the spreadsheets as one workbook, for auditors who work in a spreadsheet
//! program. Every cell from the data is written as text or a number, never as a formula.

use std::path::{Path, PathBuf};

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

/// Excel's last row (0-based): a sheet holds at most 1,048,576 rows.
const LAST_ROW: u32 = 1_048_575;

/// The workbook being written. Its sheets are made up front in the order a reader wants them
/// and take their rows as they come (the project and flag tables project by project), in
/// low-memory mode: each row goes to a temporary file once the next one starts, so no table is
/// held in memory for the workbook.
pub struct Book {
    path: PathBuf,
    book: Workbook,
    sheets: Vec<Tab>,
    bold: Format,
}

/// One sheet: its name and how far it is written.
struct Tab {
    name: String,
    rows: u32,
    columns: usize,
    /// Rows left out past Excel's last row (the CSV file has them all).
    cut: u64,
}

impl Book {
    /// A workbook to be saved at `path`, dated `as_of` (so that a rerun over the same data
    /// writes the same bytes), with the sheets `names` in that order.
    pub fn new(path: &Path, names: &[&str], as_of: &str) -> Result<Book, Error> {
        // With low-memory sheets the library opens a temporary file for every sheet in the
        // system's temporary folder and cannot report failing to: checked here instead.
        tempfile::tempfile().map_err(|source| Error::TempFolder {
            path: std::env::temp_dir(),
            source,
        })?;
        let mut book = Workbook::new();
        // The rows of the large sheets wait beside the output, on its disk.
        if let Some(dir) = path.parent() {
            book.set_tempdir(dir).map_err(xlsx(path))?;
        }
        if let Ok(when) = ExcelDateTime::parse_from_str(as_of.get(..19).unwrap_or(as_of)) {
            book.set_properties(&DocProperties::new().set_creation_datetime(&when));
        }
        let mut this = Book {
            path: path.to_path_buf(),
            book,
            sheets: Vec::new(),
            bold: Format::new().set_bold(),
        };
        for name in names {
            this.add(name)?;
        }
        Ok(this)
    }

    fn add(&mut self, name: &str) -> Result<usize, Error> {
        let ws = self.book.add_worksheet_with_low_memory();
        ws.set_name(sheet_name(name)).map_err(xlsx(&self.path))?;
        self.sheets.push(Tab {
            name: name.to_string(),
            rows: 0,
            columns: 0,
            cut: 0,
        });
        Ok(self.sheets.len() - 1)
    }

    /// Writes the next row of the sheet `name` (a sheet not named at the start goes last);
    /// its first row is the header, in bold. Every cell from the data is text or a number,
    /// never a formula.
    pub fn row<S: AsRef<str>>(&mut self, name: &str, cells: &[S]) -> Result<(), Error> {
        let i = match self.sheets.iter().position(|t| t.name == name) {
            Some(i) => i,
            None => self.add(name)?,
        };
        let r = self.sheets[i].rows;
        if r > LAST_ROW {
            // Counted, and said once with the count when the workbook is saved.
            self.sheets[i].cut += 1;
            return Ok(());
        }
        let err = xlsx(&self.path);
        let ws = self.book.worksheet_from_index(i).map_err(&err)?;
        for (c, cell) in cells.iter().enumerate() {
            let c = u16::try_from(c).unwrap_or(u16::MAX);
            let cell = cell.as_ref();
            if r == 0 {
                ws.write_string_with_format(r, c, cell, &self.bold)
                    .map_err(&err)?;
            } else if let Some(x) = number(cell) {
                ws.write_number(r, c, x).map_err(&err)?;
            } else {
                ws.write_string(r, c, neutralise(cell).as_ref())
                    .map_err(&err)?;
            }
        }
        let tab = &mut self.sheets[i];
        if r == 0 {
            tab.columns = cells.len();
        }
        tab.rows = r + 1;
        Ok(())
    }

    /// Writes a whole table into its sheet.
    pub fn sheet(&mut self, sheet: &Sheet) -> Result<(), Error> {
        for row in &sheet.rows {
            self.row(&sheet.name, row)?;
        }
        Ok(())
    }

    /// Freezes and filters each sheet's header and saves the workbook.
    pub fn save(&mut self) -> Result<(), Error> {
        for i in 0..self.sheets.len() {
            let (rows, columns) = (self.sheets[i].rows, self.sheets[i].columns);
            if self.sheets[i].cut > 0 {
                // How many, now that the sheet is done: what an auditor comparing the workbook
                // with the CSV file needs to know.
                tracing::warn!(
                    sheet = %self.sheets[i].name,
                    rows_left_out = self.sheets[i].cut,
                    "rows past Excel's row limit are only in the CSV file"
                );
            }
            if rows == 0 {
                continue;
            }
            let err = xlsx(&self.path);
            let ws = self.book.worksheet_from_index(i).map_err(&err)?;
            ws.set_freeze_panes(1, 0).map_err(&err)?;
            ws.autofilter(
                0,
                0,
                rows - 1,
                u16::try_from(columns.saturating_sub(1)).unwrap_or(u16::MAX),
            )
            .map_err(&err)?;
        }
        self.book.save(&self.path).map_err(xlsx(&self.path))
    }
}

/// An error of the workbook library, with the workbook's path.
fn xlsx(path: &Path) -> impl Fn(rust_xlsxwriter::XlsxError) -> Error + '_ {
    move |e| Error::Xlsx {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
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
        let mut book = Book::new(&path, &[], "2025-06-30T00:00:00Z").expect("book");
        book.sheet(&sheet).expect("sheet");
        book.save().expect("save");
        let bytes = std::fs::read(&path).expect("read");
        // An XLSX file is a zip archive.
        assert!(bytes.starts_with(b"PK"));
    }

    #[test]
    fn rows_written_as_they_come_land_in_the_sheets_in_order() {
        use std::io::Read;
        let t = tempfile::tempdir().expect("tempdir");
        let path = t.path().join("x.xlsx");
        let mut book =
            Book::new(&path, &["primera", "segunda"], "2025-06-30T00:00:00Z").expect("book");
        book.row("segunda", &["titulo", "puntaje"]).expect("header");
        book.row("segunda", &["=1+1", "50.5"]).expect("row");
        book.row("otra", &["x"])
            .expect("a sheet not named goes last");
        book.row("primera", &["a"]).expect("header");
        book.save().expect("save");
        let mut zip = zip::ZipArchive::new(std::fs::File::open(&path).expect("open"))
            .expect("an XLSX file is a zip archive");
        let mut text = |name: &str| {
            let mut s = String::new();
            zip.by_name(name)
                .expect(name)
                .read_to_string(&mut s)
                .expect("utf-8");
            s
        };
        let workbook = text("xl/workbook.xml");
        let at = |n: &str| workbook.find(&format!("name=\"{n}\"")).expect(n);
        assert!(at("primera") < at("segunda") && at("segunda") < at("otra"));
        let strings = text("xl/sharedStrings.xml");
        assert!(
            strings.contains("'=1+1"),
            "a formula is written as text: {strings}"
        );
        let second = text("xl/worksheets/sheet2.xml");
        assert!(
            second.contains("<v>50.5</v>"),
            "numbers stay numbers: {second}"
        );
        assert!(second.contains("autoFilter ref=\"A1:B2\""), "{second}");
    }
}
