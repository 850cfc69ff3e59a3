//! A streaming XLSX writer: one worksheet of inline strings and numbers,
//! written as a ZIP whose entries use data descriptors, so each part is
//! deflated and handed out as it is written and nothing grows with the rows
//! but the byte counters. Enough of the format for Excel, WPS and calamine;
//! no shared strings (they would have to be held until the end), no zip64
//! (a million case rows are about 300 MB of XML, well under 4 GiB).

use std::io::Write;

use flate2::write::DeflateEncoder;
use flate2::Compression;

const LOCAL_HEADER: u32 = 0x0403_4b50;
const DATA_DESCRIPTOR: u32 = 0x0807_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL: u32 = 0x0605_4b50;
/// Sizes follow in a data descriptor; names are UTF-8.
const FLAGS: u16 = 0x0008 | 0x0800;
const DEFLATE: u16 = 8;

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"#;
const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;
/// One font and one cell format, with the heading row in bold.
const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"#;
const SHEET_START: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><sheetData>"#;
const SHEET_END: &str = "</sheetData></worksheet>";

/// A cell value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// A number as its decimal text, e.g. "3000.00" (kept as text so fen
    /// never pass through floating point).
    Number(String),
    Empty,
}

struct Entry {
    name: String,
    crc: u32,
    compressed: u64,
    size: u64,
    offset: u64,
}

struct Open {
    name: String,
    offset: u64,
    encoder: DeflateEncoder<Vec<u8>>,
    hasher: crc32fast::Hasher,
    size: u64,
    compressed: u64,
}

/// Writes the workbook; [`XlsxWriter::take`] hands out the bytes ready so far.
pub struct XlsxWriter {
    out: Vec<u8>,
    written: u64,
    entries: Vec<Entry>,
    open: Option<Open>,
    row: u64,
    dos_time: u16,
    dos_date: u16,
}

impl XlsxWriter {
    /// Starts a workbook with one sheet named `sheet`, its first row `headings`.
    pub fn new(sheet: &str, headings: &[String], now_utc_ms: i64) -> std::io::Result<XlsxWriter> {
        let (y, m, d) = domain::date::china_date(now_utc_ms);
        let minutes = (now_utc_ms + domain::date::CHINA_OFFSET_MS).rem_euclid(86_400_000) / 60_000;
        let mut writer = XlsxWriter {
            out: Vec::with_capacity(64 * 1024),
            written: 0,
            entries: Vec::new(),
            open: None,
            row: 0,
            dos_time: ((minutes / 60) << 11 | (minutes % 60) << 5) as u16,
            dos_date: (((y - 1980).max(0) as u32) << 9 | m << 5 | d) as u16,
        };
        let workbook = format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="{}" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
            escape(sheet)
        );
        for (name, content) in [
            ("[Content_Types].xml", CONTENT_TYPES),
            ("_rels/.rels", ROOT_RELS),
            ("xl/workbook.xml", workbook.as_str()),
            ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
            ("xl/styles.xml", STYLES),
        ] {
            writer.start_entry(name);
            writer.write(content.as_bytes())?;
            writer.finish_entry()?;
        }
        writer.start_entry("xl/worksheets/sheet1.xml");
        writer.write(SHEET_START.as_bytes())?;
        let cells: Vec<Cell> = headings.iter().map(|h| Cell::Text(h.clone())).collect();
        writer.row_styled(&cells, Some(1))?;
        Ok(writer)
    }

    pub fn row(&mut self, cells: &[Cell]) -> std::io::Result<()> {
        self.row_styled(cells, None)
    }

    fn row_styled(&mut self, cells: &[Cell], style: Option<u32>) -> std::io::Result<()> {
        self.row += 1;
        let r = self.row;
        let s = style.map_or(String::new(), |s| format!(r#" s="{s}""#));
        let mut xml = format!(r#"<row r="{r}">"#);
        for (i, cell) in cells.iter().enumerate() {
            let at = format!("{}{r}", column(i));
            match cell {
                Cell::Text(text) => xml.push_str(&format!(
                    r#"<c r="{at}"{s} t="inlineStr"><is><t xml:space="preserve">{}</t></is></c>"#,
                    escape(text)
                )),
                Cell::Number(n) => {
                    xml.push_str(&format!(r#"<c r="{at}"{s}><v>{}</v></c>"#, escape(n)))
                }
                Cell::Empty => {}
            }
        }
        xml.push_str("</row>");
        self.write(xml.as_bytes())
    }

    /// The bytes ready to send; the writer keeps none of them.
    pub fn take(&mut self) -> Vec<u8> {
        if let Some(open) = self.open.as_mut() {
            let chunk = std::mem::take(open.encoder.get_mut());
            open.compressed += chunk.len() as u64;
            self.push(&chunk);
        }
        std::mem::take(&mut self.out)
    }

    /// Closes the sheet and the archive; the last bytes to send.
    pub fn finish(mut self) -> std::io::Result<Vec<u8>> {
        self.write(SHEET_END.as_bytes())?;
        self.finish_entry()?;
        let start = self.written;
        let mut directory = Vec::new();
        for e in &self.entries {
            let name = e.name.as_bytes();
            directory.extend_from_slice(&CENTRAL_HEADER.to_le_bytes());
            directory.extend_from_slice(&20u16.to_le_bytes()); // made by
            directory.extend_from_slice(&20u16.to_le_bytes()); // needed
            directory.extend_from_slice(&FLAGS.to_le_bytes());
            directory.extend_from_slice(&DEFLATE.to_le_bytes());
            directory.extend_from_slice(&self.dos_time.to_le_bytes());
            directory.extend_from_slice(&self.dos_date.to_le_bytes());
            directory.extend_from_slice(&e.crc.to_le_bytes());
            directory.extend_from_slice(&u32_of(e.compressed)?.to_le_bytes());
            directory.extend_from_slice(&u32_of(e.size)?.to_le_bytes());
            directory.extend_from_slice(&(name.len() as u16).to_le_bytes());
            directory.extend_from_slice(&[0; 12]); // extra, comment, disk, attributes
            directory.extend_from_slice(&u32_of(e.offset)?.to_le_bytes());
            directory.extend_from_slice(name);
        }
        let count = self.entries.len() as u16;
        let size = u32_of(directory.len() as u64)?;
        directory.extend_from_slice(&END_OF_CENTRAL.to_le_bytes());
        directory.extend_from_slice(&[0; 4]); // disk numbers
        directory.extend_from_slice(&count.to_le_bytes());
        directory.extend_from_slice(&count.to_le_bytes());
        directory.extend_from_slice(&size.to_le_bytes());
        directory.extend_from_slice(&u32_of(start)?.to_le_bytes());
        directory.extend_from_slice(&0u16.to_le_bytes()); // comment
        self.push(&directory);
        Ok(std::mem::take(&mut self.out))
    }

    fn push(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
        self.written += bytes.len() as u64;
    }

    fn start_entry(&mut self, name: &str) {
        let offset = self.written;
        let mut header = Vec::with_capacity(30 + name.len());
        header.extend_from_slice(&LOCAL_HEADER.to_le_bytes());
        header.extend_from_slice(&20u16.to_le_bytes());
        header.extend_from_slice(&FLAGS.to_le_bytes());
        header.extend_from_slice(&DEFLATE.to_le_bytes());
        header.extend_from_slice(&self.dos_time.to_le_bytes());
        header.extend_from_slice(&self.dos_date.to_le_bytes());
        header.extend_from_slice(&[0; 12]); // crc and sizes: in the data descriptor
        header.extend_from_slice(&(name.len() as u16).to_le_bytes());
        header.extend_from_slice(&0u16.to_le_bytes());
        header.extend_from_slice(name.as_bytes());
        self.push(&header);
        self.open = Some(Open {
            name: name.to_string(),
            offset,
            encoder: DeflateEncoder::new(Vec::new(), Compression::fast()),
            hasher: crc32fast::Hasher::new(),
            size: 0,
            compressed: 0,
        });
    }

    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let open = self
            .open
            .as_mut()
            .ok_or_else(|| std::io::Error::other("no open entry"))?;
        open.hasher.update(bytes);
        open.size += bytes.len() as u64;
        open.encoder.write_all(bytes)
    }

    fn finish_entry(&mut self) -> std::io::Result<()> {
        let Some(open) = self.open.take() else {
            return Ok(());
        };
        let rest = open.encoder.finish()?;
        let compressed = open.compressed + rest.len() as u64;
        self.push(&rest);
        let crc = open.hasher.finalize();
        let mut descriptor = Vec::with_capacity(16);
        descriptor.extend_from_slice(&DATA_DESCRIPTOR.to_le_bytes());
        descriptor.extend_from_slice(&crc.to_le_bytes());
        descriptor.extend_from_slice(&u32_of(compressed)?.to_le_bytes());
        descriptor.extend_from_slice(&u32_of(open.size)?.to_le_bytes());
        self.push(&descriptor);
        self.entries.push(Entry {
            name: open.name,
            crc,
            compressed,
            size: open.size,
            offset: open.offset,
        });
        Ok(())
    }
}

fn u32_of(n: u64) -> std::io::Result<u32> {
    u32::try_from(n).map_err(|_| std::io::Error::other("the workbook passed 4 GiB"))
}

/// A, B, …, Z, AA, AB, …
fn column(index: usize) -> String {
    let mut n = index + 1;
    let mut name = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        name.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

/// Escapes XML text and drops the control characters XML 1.0 forbids.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader, Xlsx};

    #[test]
    fn columns_are_lettered_like_a_spreadsheet() {
        assert_eq!(column(0), "A");
        assert_eq!(column(25), "Z");
        assert_eq!(column(26), "AA");
        assert_eq!(column(27), "AB");
    }

    #[test]
    fn a_streamed_workbook_opens_with_its_rows() {
        let headings = vec!["案件编号".to_string(), "金额（元）".to_string()];
        let mut writer = XlsxWriter::new("案件", &headings, 1_767_196_800_000).unwrap();
        let mut bytes = writer.take();
        for i in 0..3000 {
            writer
                .row(&[
                    Cell::Text(format!("寿检司救受〔2025〕{i}号 <&>")),
                    Cell::Number(format!("{i}.50")),
                ])
                .unwrap();
            if i % 500 == 0 {
                bytes.extend(writer.take());
            }
        }
        bytes.extend(writer.take());
        bytes.extend(writer.finish().unwrap());
        let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(book.sheet_names(), vec!["案件".to_string()]);
        let range = book.worksheet_range("案件").unwrap();
        assert_eq!(range.height(), 3001);
        assert_eq!(range.get((0, 0)), Some(&Data::String("案件编号".into())));
        assert_eq!(
            range.get((3000, 0)),
            Some(&Data::String("寿检司救受〔2025〕2999号 <&>".into()))
        );
        assert_eq!(range.get((2, 1)), Some(&Data::Float(1.5)));
    }
}
