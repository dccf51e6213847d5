//! The files every project is appended to in project order — the OC4IDS package,
//! `flags.csv`, `proyectos.csv` and their two workbook sheets — written on a thread of their
//! own. The thread making projects only hands their bytes over: at a million releases these
//! writes were a tenth of its time, and both cores waited for it meanwhile. The same thread
//! then closes them and saves the workbook (about 2 s at a million releases, on one core)
//! while the pages are rendered.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

use super::Error;
use super::book::Book;
use super::table::{Csv, Sheet};

/// Projects handed over and not yet written, at most: enough to ride out a slow write, few
/// enough that memory does not notice (an entry is tens of KB).
const AHEAD: usize = 64;

/// The writers, owned by the appending thread while projects come and given back at the end.
pub(super) struct Writers {
    /// `oc4ids/project-package.json`, its head already written.
    pub package: BufWriter<File>,
    /// Where the package is, for errors.
    pub package_path: PathBuf,
    /// `flags.csv`.
    pub flags: Csv,
    /// `proyectos.csv`.
    pub project_table: Csv,
    /// The workbook (its `alertas` and `proyectos` sheets take the same rows).
    pub book: Book,
}

/// What the appending thread is handed.
enum Handed {
    /// One more project.
    Project(Append),
    /// No more projects: close the files and save the workbook with these tables added.
    Close(Vec<Sheet>),
}

/// One project's share of the appended files.
pub(super) struct Append {
    /// Its package entry with the separator before it; `None` when it stays out.
    pub entry: Option<(&'static str, String)>,
    /// Its rows in `flags.csv`.
    pub flag_rows: Vec<[String; 12]>,
    /// Its row in `proyectos.csv`.
    pub table_row: Vec<String>,
}

impl Writers {
    fn append(&mut self, a: Append) -> Result<(), Error> {
        if let Some((sep, entry)) = a.entry {
            let io = |source| Error::Io {
                path: self.package_path.clone(),
                source,
            };
            self.package.write_all(sep.as_bytes()).map_err(io)?;
            self.package.write_all(entry.as_bytes()).map_err(io)?;
        }
        for row in &a.flag_rows {
            self.flags.row(row)?;
            self.book.row("alertas", row)?;
        }
        self.project_table.row(&a.table_row)?;
        self.book.row("proyectos", &a.table_row)
    }

    /// Ends the package, finishes the two tables and saves the workbook with `sheets` added
    /// (in their order) after its own.
    fn close(mut self, sheets: Vec<Sheet>) -> Result<(), Error> {
        let io = |source| Error::Io {
            path: self.package_path.clone(),
            source,
        };
        write!(self.package, "\n  ]\n}}\n").map_err(io)?;
        self.package.flush().map_err(io)?;
        self.project_table.finish()?;
        self.flags.finish()?;
        for sheet in &sheets {
            self.book.sheet(sheet)?;
        }
        self.book.save()
    }
}

/// The appending thread and the way to it.
pub(super) struct Appender {
    to: Option<SyncSender<Handed>>,
    /// Gives the writers back when the thread ended without closing them (the run failed).
    thread: Option<JoinHandle<Result<Option<Writers>, Error>>>,
    /// Named in the error when the thread is gone without one.
    package_path: PathBuf,
}

impl Drop for Appender {
    fn drop(&mut self) {
        self.wait();
    }
}

impl Appender {
    /// Starts the thread with `writers`.
    pub fn start(mut writers: Writers) -> Result<Appender, Error> {
        let package_path = writers.package_path.clone();
        let (to, from) = sync_channel::<Handed>(AHEAD);
        let thread = std::thread::Builder::new()
            .name("costwatch-append".into())
            .spawn(move || {
                // Stops at the first error: the sender then finds the channel closed and asks
                // this thread for it.
                for handed in from {
                    match handed {
                        Handed::Project(a) => writers.append(a)?,
                        Handed::Close(sheets) => return writers.close(sheets).map(|()| None),
                    }
                }
                Ok(Some(writers))
            })
            .map_err(|source| Error::Io {
                path: package_path.clone(),
                source,
            })?;
        Ok(Appender {
            to: Some(to),
            thread: Some(thread),
            package_path,
        })
    }

    /// Hands one project over, or gives the error that stopped the thread.
    pub fn send(&mut self, a: Append) -> Result<(), Error> {
        self.hand(Handed::Project(a))
    }

    /// Asks the thread to close the files and save the workbook with `sheets` added, without
    /// waiting for it: [`Appender::finish`] does.
    pub fn close(&mut self, sheets: Vec<Sheet>) -> Result<(), Error> {
        self.hand(Handed::Close(sheets))?;
        self.to = None;
        Ok(())
    }

    fn hand(&mut self, handed: Handed) -> Result<(), Error> {
        if let Some(to) = &self.to
            && to.send(handed).is_ok()
        {
            return Ok(());
        }
        match self.join() {
            Err(e) => Err(e),
            // A thread that ended without an error still has a receiver: unreachable, but said
            // as an error rather than assumed.
            Ok(_) => Err(self.stopped()),
        }
    }

    /// Waits for what was handed over to be written, when the writers are not taken back (the
    /// run failed elsewhere), so that no thread writes into a folder being removed. A write
    /// error then is only logged: the run already has one to report.
    pub fn wait(&mut self) {
        if self.thread.is_some()
            && let Err(e) = self.join()
        {
            tracing::warn!(error = %e, "writing the package and tables failed too");
        }
    }

    /// Waits for everything handed over to be written and the files closed, as
    /// [`Appender::close`] asked.
    pub fn finish(&mut self) -> Result<(), Error> {
        match self.join()? {
            None => Ok(()),
            // A package without its end and no workbook: never to be published as done.
            Some(_) => Err(Error::Io {
                path: self.package_path.clone(),
                source: std::io::Error::other(
                    "the package and tables were not closed (a defect: nothing asked to)",
                ),
            }),
        }
    }

    /// Waits for the thread; the writers come back if it was not asked to close them.
    fn join(&mut self) -> Result<Option<Writers>, Error> {
        // Dropping the sender ends the thread's loop once the channel is empty.
        self.to = None;
        let thread = self.thread.take().ok_or_else(|| self.stopped())?;
        thread.join().map_err(|_| self.stopped())?
    }

    fn stopped(&self) -> Error {
        // Only when the thread is gone without saying why (it panicked, or was already
        // joined): an error it returned is given as it is.
        Error::Io {
            path: self.package_path.clone(),
            source: std::io::Error::other("the thread writing the package and tables has stopped"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writers(dir: &std::path::Path) -> Writers {
        let package_path = dir.join("package.json");
        Writers {
            package: BufWriter::new(File::create(&package_path).expect("package")),
            package_path,
            flags: Csv::create(&dir.join("flags.csv"), ["a"]).expect("flags"),
            project_table: Csv::create(&dir.join("p.csv"), ["b"]).expect("table"),
            book: Book::new(&dir.join("x.xlsx"), &["proyectos"], "2025-06-30T00:00:00Z")
                .expect("book"),
        }
    }

    #[test]
    fn what_is_handed_over_is_written_in_order() {
        let t = tempfile::tempdir().expect("tempdir");
        let mut appender = Appender::start(writers(t.path())).expect("start");
        for i in 0..500 {
            let entry = (i % 3 != 0).then(|| (",", format!("{{\"id\":{i}}}")));
            appender
                .send(Append {
                    entry,
                    flag_rows: Vec::new(),
                    table_row: vec![i.to_string()],
                })
                .expect("send");
        }
        let glossary = Sheet {
            name: "glosario".into(),
            rows: vec![vec!["codigo".into()], vec!["PJ-ID-1".into()]],
        };
        appender.close(vec![glossary]).expect("close");
        appender.finish().expect("finish");
        let package = std::fs::read_to_string(t.path().join("package.json")).expect("read");
        let expected: String = (0..500)
            .filter(|i| i % 3 != 0)
            .map(|i| format!(",{{\"id\":{i}}}"))
            .chain(["\n  ]\n}\n".to_string()])
            .collect();
        assert_eq!(package, expected);
        let table = std::fs::read_to_string(t.path().join("p.csv")).expect("read");
        let rows: Vec<&str> = table.trim_start_matches('\u{feff}').lines().collect();
        assert_eq!(rows.len(), 501, "header and every row");
        assert_eq!(rows[1], "0");
        assert_eq!(rows[500], "499");
        // The workbook was saved by the thread, with the table handed over at the end.
        let mut book = zip::ZipArchive::new(File::open(t.path().join("x.xlsx")).expect("xlsx"))
            .expect("a workbook is a zip");
        let mut names = String::new();
        std::io::Read::read_to_string(
            &mut book.by_name("xl/workbook.xml").expect("workbook part"),
            &mut names,
        )
        .expect("read");
        assert!(names.contains("name=\"proyectos\"") && names.contains("name=\"glosario\""));
    }

    #[test]
    fn files_never_asked_to_close_are_not_taken_for_finished() {
        let t = tempfile::tempdir().expect("tempdir");
        let mut appender = Appender::start(writers(t.path())).expect("start");
        appender
            .send(Append {
                entry: Some((",", "{}".into())),
                flag_rows: Vec::new(),
                table_row: vec!["1".into()],
            })
            .expect("send");
        let e = appender.finish().expect_err("the package has no end");
        assert!(e.to_string().contains("not closed"), "{e}");
        assert!(!t.path().join("x.xlsx").exists(), "no workbook was saved");
    }

    #[test]
    fn a_failed_write_comes_back_to_the_sender_with_its_path() {
        let t = tempfile::tempdir().expect("tempdir");
        let mut w = writers(t.path());
        // A package opened for reading only: every write fails once the buffer is flushed.
        std::fs::write(t.path().join("ro.json"), "").expect("write");
        let readonly = File::open(t.path().join("ro.json")).expect("open");
        w.package = BufWriter::with_capacity(1, readonly);
        let mut appender = Appender::start(w).expect("start");
        let mut failed = None;
        for i in 0..1000 {
            let a = Append {
                entry: Some((",", format!("{{\"id\":{i}}}"))),
                flag_rows: Vec::new(),
                table_row: vec![i.to_string()],
            };
            if let Err(e) = appender.send(a) {
                failed = Some(e);
                break;
            }
        }
        let e = failed
            .or_else(|| appender.finish().err())
            .expect("a write into a read-only file fails");
        let text = e.to_string();
        assert!(
            text.contains("package.json"),
            "the error names the file: {e}"
        );
        assert!(
            !text.contains("has stopped"),
            "the write's own error, not a stand-in: {e}"
        );
    }
}
