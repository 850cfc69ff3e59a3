//! Reads an uploaded list of cases — CSV (UTF-8, or GBK/GB18030 as Chinese
//! systems export it) or XLSX — into a heading row and data rows with their
//! line numbers as the officer sees them in the file.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use domain::screening::MAX_ROWS;

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<TableRow>,
    /// Lines the CSV reader could not make sense of.
    pub bad_lines: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableRow {
    /// 1-based line (CSV) or sheet row (XLSX); the heading is usually line 1.
    pub line: i64,
    pub cells: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error("the file holds no heading row")]
    Empty,
    #[error("the file is neither CSV nor a readable XLSX workbook")]
    Unreadable,
    #[error("the file has more rows than one import may hold")]
    TooManyRows,
}

/// The local file header of a ZIP archive, which every XLSX file is: the
/// content decides, not the file name.
fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

pub fn read(bytes: &[u8]) -> Result<Table, TableError> {
    if is_zip(bytes) {
        read_xlsx(bytes)
    } else {
        read_csv(&decode_text(bytes))
    }
}

/// UTF-8 (a byte-order mark dropped) when the bytes are valid UTF-8, otherwise
/// GB18030, the superset of GBK that Chinese Windows software writes.
pub fn decode_text(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => {
            let (text, _) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
            text.into_owned()
        }
    }
}

fn is_blank(cells: &[String]) -> bool {
    cells.iter().all(|c| c.trim().is_empty())
}

fn read_csv(text: &str) -> Result<Table, TableError> {
    // Some exports are tab-separated under a .csv name; the heading line tells.
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.matches('\t').count() > first_line.matches(',').count() {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut headers: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    let mut bad_lines = Vec::new();
    let mut lines = LineCounter::new(text);
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => match e.position() {
                Some(position) => {
                    bad_lines.push(position.line() as i64);
                    continue;
                }
                None => return Err(TableError::Unreadable),
            },
        };
        let line = record
            .position()
            .map(|p| lines.line_at(p.byte() as usize))
            .unwrap_or(0);
        let cells: Vec<String> = record.iter().map(str::to_string).collect();
        if is_blank(&cells) {
            continue;
        }
        if headers.is_none() {
            headers = Some(cells);
            continue;
        }
        if rows.len() >= MAX_ROWS {
            return Err(TableError::TooManyRows);
        }
        rows.push(TableRow { line, cells });
    }
    Ok(Table {
        headers: headers.ok_or(TableError::Empty)?,
        rows,
        bad_lines,
    })
}

/// Line numbers of records, counted as the reader moves forward: each call
/// counts only the line breaks since the last one (counting from the start
/// every time made a 20,000-row file take minutes).
struct LineCounter<'a> {
    text: &'a [u8],
    counted_to: usize,
    breaks: i64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter {
            text: text.as_bytes(),
            counted_to: 0,
            breaks: 0,
        }
    }

    /// The 1-based line on which the record starting at `byte` begins. The
    /// reader's own line count lags behind when blank lines precede a
    /// record, so count the line breaks, skipping those blank lines.
    /// `byte` never goes backwards between calls.
    fn line_at(&mut self, byte: usize) -> i64 {
        let start = byte.min(self.text.len());
        let skipped = self.text[start..]
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .count();
        let end = (start + skipped).max(self.counted_to);
        self.breaks += self.text[self.counted_to..end]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as i64;
        self.counted_to = end;
        self.breaks + 1
    }
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        // Whole numbers without ".0": a case number or a phone typed as a number.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}

fn read_xlsx(bytes: &[u8]) -> Result<Table, TableError> {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|_| TableError::Unreadable)?;
    let range = book
        .worksheet_range_at(0)
        .ok_or(TableError::Empty)?
        .map_err(|_| TableError::Unreadable)?;
    let first_row = range.start().map(|(row, _)| row as i64).unwrap_or(0);
    let mut headers: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    for (i, row) in range.rows().enumerate() {
        let cells: Vec<String> = row.iter().map(cell_text).collect();
        if is_blank(&cells) {
            continue;
        }
        if headers.is_none() {
            headers = Some(cells);
            continue;
        }
        if rows.len() >= MAX_ROWS {
            return Err(TableError::TooManyRows);
        }
        rows.push(TableRow {
            line: first_row + i as i64 + 1,
            cells,
        });
    }
    Ok(Table {
        headers: headers.ok_or(TableError::Empty)?,
        rows,
        bad_lines: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_utf8_with_a_byte_order_mark_and_counts_lines_as_the_file_does() {
        let text = "\u{feff}案号,姓名\n\nA1,张三\n\"A2\",\"李\n四\"\nA3,王五\n";
        let table = read(text.as_bytes()).unwrap();
        assert_eq!(table.headers, vec!["案号", "姓名"]);
        let lines: Vec<i64> = table.rows.iter().map(|r| r.line).collect();
        assert_eq!(
            lines,
            vec![3, 4, 6],
            "blank line 2 skipped; a quoted line break spans 4–5"
        );
        assert_eq!(table.rows[1].cells[1], "李\n四");
    }

    #[test]
    fn reads_gbk_bytes() {
        let (bytes, _, _) = encoding_rs::GBK.encode("案号,姓名\nA1,张三\n");
        assert!(std::str::from_utf8(&bytes).is_err());
        let table = read(&bytes).unwrap();
        assert_eq!(table.headers, vec!["案号", "姓名"]);
        assert_eq!(table.rows[0].cells, vec!["A1", "张三"]);
    }

    #[test]
    fn reads_tab_separated_text() {
        let table = read("案号\t姓名\nA1\t张三\n".as_bytes()).unwrap();
        assert_eq!(table.rows[0].cells, vec!["A1", "张三"]);
    }

    #[test]
    fn refuses_empty_broken_and_oversized_files() {
        assert_eq!(read(b"").unwrap_err(), TableError::Empty);
        assert_eq!(
            read(b"PK\x03\x04garbage").unwrap_err(),
            TableError::Unreadable
        );
        let mut big = String::from("案号,姓名\n");
        for i in 0..=MAX_ROWS {
            big.push_str(&format!("A{i},张三\n"));
        }
        assert_eq!(read(big.as_bytes()).unwrap_err(), TableError::TooManyRows);
    }
}
