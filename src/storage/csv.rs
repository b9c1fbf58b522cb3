//! CSV records as AWS reads them, each as a list of fields, bounded in size.
//!
//! Double quotes may hold delimiters and newlines, `""` inside them is a quote; a backslash
//! escapes a backslash, a quote or the delimiter; `\n` and `\r\n` end a record. A record is
//! read byte by byte and fails as soon as it passes the limit, without reading the rest of it
//! (a 1 GiB line took 3 GB before). Fields past those kept (the headers' count) are counted
//! through but not held.

use super::items::{ReadError, too_large};
use std::io::BufRead;

/// Records of `r`, each at most `limit` bytes as written.
pub struct CsvRecords<R: BufRead> {
    pub r: R,
    pub delimiter: u8,
    pub limit: usize,
    /// How many fields of a record to keep (`usize::MAX`: all).
    pub keep: usize,
    /// What each field adds to the record's size besides its bytes: a header row counts what
    /// every item will hold for it (`"name":""`), so a row of a million empty names fails
    /// before it is a million strings.
    pub per_field: usize,
    /// The record number (from 1), for messages.
    pub number: usize,
}

impl<R: BufRead> CsvRecords<R> {
    pub fn new(r: R, delimiter: u8, limit: usize) -> Self {
        CsvRecords {
            r,
            delimiter,
            limit,
            keep: usize::MAX,
            per_field: 0,
            number: 0,
        }
    }

    fn next_byte(&mut self) -> Result<Option<u8>, ReadError> {
        let buf = self.r.fill_buf().map_err(|e| ReadError(e.to_string()))?;
        let Some(&b) = buf.first() else {
            return Ok(None);
        };
        self.r.consume(1);
        Ok(Some(b))
    }

    fn peek(&mut self) -> Option<u8> {
        self.r.fill_buf().ok().and_then(|x| x.first().copied())
    }

    fn record(&mut self) -> Result<Option<Vec<String>>, ReadError> {
        let mut fields = Vec::new();
        let mut field = Vec::new();
        let (mut quoted, mut any) = (false, false);
        let (mut size, mut count) = (0usize, 1usize);
        loop {
            let Some(b) = self.next_byte()? else {
                if !any {
                    return Ok(None);
                }
                break;
            };
            any = true;
            size += 1;
            if size + count * self.per_field > self.limit {
                return Err(too_large(
                    &format!("Record {} of the CSV object", self.number + 1),
                    self.limit,
                ));
            }
            if quoted {
                match b {
                    b'"' => {
                        // `""` inside quotes is a quote; a lone quote ends the quoted part.
                        if self.peek() == Some(b'"') {
                            self.r.consume(1);
                            size += 1;
                            field.push(b'"');
                        } else {
                            quoted = false;
                        }
                    }
                    _ => field.push(b),
                }
                continue;
            }
            match b {
                b'"' => quoted = true,
                b'\\' => match self.next_byte()? {
                    Some(n) if n == b'\\' || n == b'"' || n == self.delimiter => {
                        size += 1;
                        field.push(n);
                    }
                    Some(n) => {
                        size += 1;
                        field.push(b'\\');
                        field.push(n);
                    }
                    None => field.push(b'\\'),
                },
                b'\n' => break,
                b'\r' => {
                    if self.peek() == Some(b'\n') {
                        self.r.consume(1);
                    }
                    break;
                }
                d if d == self.delimiter => {
                    if fields.len() < self.keep {
                        fields.push(String::from_utf8_lossy(&field).into_owned());
                    }
                    field.clear();
                    count += 1;
                }
                _ => field.push(b),
            }
        }
        if fields.len() < self.keep {
            fields.push(String::from_utf8_lossy(&field).into_owned());
        }
        Ok(Some(fields))
    }
}

impl<R: BufRead> Iterator for CsvRecords<R> {
    type Item = Result<Vec<String>, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        let r = self.record().transpose();
        self.number += 1;
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufReader, Read};

    /// Pins issue 21: a record was gathered whole, so a 1 GiB line took 3.1 GB; now it fails
    /// once past the limit, having read no more than that.
    #[test]
    fn a_record_over_the_limit_fails_as_soon_as_it_passes_it() {
        let body = std::io::Cursor::new(b"a,b\n".to_vec()).chain(std::io::repeat(b'x'));
        let mut r = CsvRecords::new(BufReader::new(body), b',', 1000);
        assert_eq!(r.next(), Some(Ok(vec!["a".to_string(), "b".to_string()])));
        assert_eq!(
            r.next(),
            Some(Err(too_large("Record 2 of the CSV object", 1000)))
        );
    }

    #[test]
    fn fields_past_those_kept_are_not_held_and_a_header_counts_per_field() {
        let commas = ",".repeat(500);
        let mut r = CsvRecords::new(BufReader::new(commas.as_bytes()), b',', 1000);
        r.keep = 2;
        assert_eq!(r.next(), Some(Ok(vec![String::new(), String::new()])));
        let mut r = CsvRecords::new(BufReader::new(commas.as_bytes()), b',', 1000);
        r.per_field = 5;
        assert_eq!(
            r.next(),
            Some(Err(too_large("Record 1 of the CSV object", 1000)))
        );
    }
}
