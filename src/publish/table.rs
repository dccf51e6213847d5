//! Spreadsheet-safe CSV: UTF-8 with a byte-order mark (so spreadsheet programs show "Públicas"
//! rather than mojibake) and every cell that could start a formula neutralised.
//!
//! Auditors open these files in a spreadsheet program, and titles, names and file names come
//! from publishers. OWASP's advice for CSV injection: a cell that begins with `=`, `+`, `-`,
//! `@`, a tab or a carriage return is prefixed with a single quote so it is read as text.
//! A cell that is a plain number (`-12.5`) cannot run and is left alone.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::Error;

/// The UTF-8 byte-order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A cell as a spreadsheet program must read it: text that cannot run as a formula.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    let risky = cell
        .chars()
        .next()
        .is_some_and(|c| matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r'));
    if risky && cell.trim().parse::<f64>().is_err() {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// A table kept for the workbook: its sheet name, header and rows.
#[derive(Debug, Clone)]
pub struct Sheet {
    /// Worksheet name.
    pub name: String,
    /// Every row, the header first.
    pub rows: Vec<Vec<String>>,
}

/// A CSV file being written, every cell neutralised; optionally kept as a workbook sheet.
pub struct Csv {
    w: csv::Writer<BufWriter<File>>,
    path: PathBuf,
    sheet: Option<Sheet>,
}

impl Csv {
    /// Creates the file, writes the byte-order mark and the header.
    pub fn create<I, S>(path: &Path, header: I) -> Result<Csv, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = BufWriter::new(File::create(path).map_err(io)?);
        file.write_all(BOM).map_err(io)?;
        let mut csv = Csv {
            w: csv::Writer::from_writer(file),
            path: path.to_path_buf(),
            sheet: None,
        };
        csv.row(header)?;
        Ok(csv)
    }

    /// Like [`Csv::create`], and keeps the rows for the workbook sheet `name`.
    pub fn mirrored<I, S>(path: &Path, header: I, name: &str) -> Result<Csv, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let header: Vec<String> = header.into_iter().map(|h| h.as_ref().to_string()).collect();
        let mut csv = Csv::create(path, &header)?;
        csv.sheet = Some(Sheet {
            name: name.to_string(),
            rows: vec![header],
        });
        Ok(csv)
    }

    /// Writes one row.
    pub fn row<I, S>(&mut self, cells: I) -> Result<(), Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let raw: Vec<String> = cells.into_iter().map(|c| c.as_ref().to_string()).collect();
        let safe: Vec<String> = raw.iter().map(|c| neutralise(c).into_owned()).collect();
        self.w.write_record(&safe).map_err(|source| Error::Csv {
            path: self.path.clone(),
            source,
        })?;
        if let Some(sheet) = &mut self.sheet {
            sheet.rows.push(raw);
        }
        Ok(())
    }

    /// Flushes the file and hands over the kept sheet (once).
    pub fn finish(&mut self) -> Result<Option<Sheet>, Error> {
        self.w.flush().map_err(|source| Error::Io {
            path: self.path.clone(),
            source,
        })?;
        Ok(self.sheet.take())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_numbers_kept() {
        for risky in [
            "=HYPERLINK(\"x\")",
            "+1+1",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
        ] {
            assert!(neutralise(risky).starts_with('\''), "{risky:?}");
        }
        for safe in ["-12.5", "Obras Públicas", "", "3", "a=b"] {
            assert_eq!(neutralise(safe), safe);
        }
    }

    #[test]
    fn files_start_with_a_bom_and_hold_no_live_formula() {
        let t = tempfile::tempdir().expect("tempdir");
        let path = t.path().join("x.csv");
        let mut csv = Csv::create(&path, ["nombre", "monto"]).expect("create");
        csv.row(["=cmd|' /C calc'!A0", "-5"]).expect("row");
        csv.finish().expect("finish");
        let bytes = std::fs::read(&path).expect("read");
        assert!(bytes.starts_with(BOM));
        let text = String::from_utf8(bytes[3..].to_vec()).expect("utf-8");
        assert!(text.contains("'=cmd"), "{text}");
        assert!(text.contains(",-5"), "{text}");
    }
}
