//! A look at a Parquet file's schema before the `parquet` crate reads it.
//!
//! The crate builds the schema tree from the footer's flat list of schema elements by
//! recursion, one call per level of nesting, and sizes each group's children by the count the
//! file claims: a hostile footer nesting groups a hundred thousand levels deep overflows the
//! stack (ending the process, beyond any `catch_unwind`), and a group claiming two billion
//! children asks for gigabytes at once. [`check_schema`] reads the same list itself, without
//! recursion and without allocating by what the file claims, and refuses a schema nested more
//! than [`MAX_DEPTH`] groups deep or whose child counts do not fit the list.
//!
//! The footer is Thrift's compact protocol (parquet-format's `FileMetaData`, field 2 the
//! `list<SchemaElement>`, each element's field 5 `num_children`); everything else is skipped,
//! nested at most [`MAX_SKIP_DEPTH`] deep as the crate's own reader allows.

/// The deepest nesting of groups a schema may have, its root message included. Real files
/// nest a few levels (a list of structs is three); 64 leaves room for any of them.
pub const MAX_DEPTH: usize = 64;

/// How deep skipped Thrift values may nest (the crate's own limit).
const MAX_SKIP_DEPTH: u32 = 64;

/// Thrift compact protocol types.
const BOOL_TRUE: u8 = 1;
const BOOL_FALSE: u8 = 2;
const BYTE: u8 = 3;
const I16: u8 = 4;
const I32: u8 = 5;
const I64: u8 = 6;
const DOUBLE: u8 = 7;
const BINARY: u8 = 8;
const LIST: u8 = 9;
const SET: u8 = 10;
const MAP: u8 = 11;
const STRUCT: u8 = 12;

/// Checks the schema in `file`'s footer; `Err` says what is wrong with it. A file whose footer
/// cannot be found is left to the crate, which says so in its own words.
pub fn check_schema(file: &[u8]) -> Result<(), String> {
    let Some(metadata) = footer(file) else {
        return Ok(());
    };
    let mut c = Compact { b: metadata, at: 0 };
    let mut last = 0i16;
    while let Some((id, ty)) = c.field(&mut last)? {
        if id == 2 && ty == LIST {
            let (size, element) = c.list_header()?;
            if element != STRUCT {
                return Err("its schema is not a list of schema elements".into());
            }
            let mut children = Vec::new();
            for _ in 0..size {
                children.push(c.num_children()?);
            }
            return check_tree(&children);
        }
        c.skip(ty, MAX_SKIP_DEPTH)?;
    }
    Ok(())
}

/// The footer's metadata: `... metadata, its length (4 bytes, little-endian), "PAR1"`.
fn footer(file: &[u8]) -> Option<&[u8]> {
    let n = file.len();
    if n < 12 || &file[n - 4..] != b"PAR1" {
        return None;
    }
    let len = u32::from_le_bytes([file[n - 8], file[n - 7], file[n - 6], file[n - 5]]);
    let start = (n - 8).checked_sub(usize::try_from(len).ok()?)?;
    file.get(start..n - 8)
}

/// The schema as the crate will build it: each element's children follow it, depth first.
fn check_tree(children: &[i64]) -> Result<(), String> {
    // For each group still open, how many of its children are still to come.
    let mut open: Vec<u64> = Vec::new();
    for (i, &n) in children.iter().enumerate() {
        if let Some(top) = open.last_mut() {
            *top = top.saturating_sub(1);
        }
        let following = (children.len() - i - 1) as u64;
        let n = u64::try_from(n)
            .map_err(|_| format!("schema element {i} has a negative number of children ({n})"))?;
        if n > following {
            return Err(format!(
                "schema element {i} claims {n} children, but only {following} elements follow it"
            ));
        }
        if n > 0 {
            open.push(n);
            if open.len() > MAX_DEPTH {
                return Err(format!(
                    "its schema nests groups more than {MAX_DEPTH} levels deep"
                ));
            }
        }
        while open.last() == Some(&0) {
            open.pop();
        }
    }
    Ok(())
}

/// A reader of Thrift's compact protocol over a byte slice.
struct Compact<'a> {
    b: &'a [u8],
    at: usize,
}

impl Compact<'_> {
    fn byte(&mut self) -> Result<u8, String> {
        let b = *self
            .b
            .get(self.at)
            .ok_or("its footer ends in the middle of a value")?;
        self.at += 1;
        Ok(b)
    }

    fn skip_bytes(&mut self, n: u64) -> Result<(), String> {
        let end = usize::try_from(n)
            .ok()
            .and_then(|n| self.at.checked_add(n))
            .filter(|end| *end <= self.b.len())
            .ok_or("its footer ends in the middle of a value")?;
        self.at = end;
        Ok(())
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut v = 0u64;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("its footer holds a number longer than 10 bytes".into())
    }

    fn zigzag(&mut self) -> Result<i64, String> {
        let v = self.varint()?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }

    /// The next field's id and type, or `None` at the end of a struct.
    fn field(&mut self, last: &mut i16) -> Result<Option<(i16, u8)>, String> {
        let b = self.byte()?;
        if b == 0 {
            return Ok(None);
        }
        let delta = i16::from(b >> 4);
        let id = if delta == 0 {
            i16::try_from(self.zigzag()?).map_err(|_| "its footer has a field id out of range")?
        } else {
            last.wrapping_add(delta)
        };
        *last = id;
        Ok(Some((id, b & 0x0f)))
    }

    fn list_header(&mut self) -> Result<(u64, u8), String> {
        let b = self.byte()?;
        let size = match b >> 4 {
            15 => self.varint()?,
            n => u64::from(n),
        };
        Ok((size, b & 0x0f))
    }

    /// A `SchemaElement`'s `num_children` (0 when absent).
    fn num_children(&mut self) -> Result<i64, String> {
        let mut n = 0;
        let mut last = 0i16;
        while let Some((id, ty)) = self.field(&mut last)? {
            if id == 5 && ty == I32 {
                n = self.zigzag()?;
            } else {
                self.skip(ty, MAX_SKIP_DEPTH)?;
            }
        }
        Ok(n)
    }

    /// Skips a struct field's value of type `ty`.
    fn skip(&mut self, ty: u8, depth: u32) -> Result<(), String> {
        match ty {
            // A struct field's boolean is its type.
            BOOL_TRUE | BOOL_FALSE => Ok(()),
            _ => self.skip_value(ty, depth),
        }
    }

    /// Skips a value of type `ty` as it appears in a list, set or map (booleans take a byte).
    fn skip_value(&mut self, ty: u8, depth: u32) -> Result<(), String> {
        let depth = depth
            .checked_sub(1)
            .ok_or("its footer nests values too deeply")?;
        match ty {
            BOOL_TRUE | BOOL_FALSE | BYTE => self.skip_bytes(1),
            I16 | I32 | I64 => self.varint().map(|_| ()),
            DOUBLE => self.skip_bytes(8),
            BINARY => {
                let n = self.varint()?;
                self.skip_bytes(n)
            }
            // Every element takes at least a byte, so a claimed size cannot outrun the data.
            LIST | SET => {
                let (size, element) = self.list_header()?;
                for _ in 0..size {
                    self.skip_value(element, depth)?;
                }
                Ok(())
            }
            MAP => {
                let size = self.varint()?;
                if size > 0 {
                    let kv = self.byte()?;
                    for _ in 0..size {
                        self.skip_value(kv >> 4, depth)?;
                        self.skip_value(kv & 0x0f, depth)?;
                    }
                }
                Ok(())
            }
            STRUCT => {
                let mut last = 0i16;
                while let Some((_, ty)) = self.field(&mut last)? {
                    self.skip(ty, depth)?;
                }
                Ok(())
            }
            other => Err(format!("its footer holds an unknown Thrift type {other}")),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Thrift compact encoding, for footers made by hand.
    pub(crate) struct Encoder(pub Vec<u8>);

    impl Encoder {
        fn varint(&mut self, mut v: u64) {
            while v >= 0x80 {
                self.0.push((v as u8) | 0x80);
                v >>= 7;
            }
            self.0.push(v as u8);
        }
        fn zigzag(&mut self, v: i64) {
            self.varint(((v << 1) ^ (v >> 63)) as u64);
        }
        pub(crate) fn field(&mut self, delta: u8, ty: u8) {
            self.0.push((delta << 4) | ty);
        }
        pub(crate) fn i32(&mut self, delta: u8, v: i32) {
            self.field(delta, I32);
            self.zigzag(i64::from(v));
        }
        pub(crate) fn i64(&mut self, delta: u8, v: i64) {
            self.field(delta, I64);
            self.zigzag(v);
        }
        pub(crate) fn binary(&mut self, delta: u8, v: &[u8]) {
            self.field(delta, BINARY);
            self.varint(v.len() as u64);
            self.0.extend_from_slice(v);
        }
        pub(crate) fn list(&mut self, delta: u8, size: usize, element: u8) {
            self.field(delta, LIST);
            if size < 15 {
                self.0.push(((size as u8) << 4) | element);
            } else {
                self.0.push(0xf0 | element);
                self.varint(size as u64);
            }
        }
        pub(crate) fn stop(&mut self) {
            self.0.push(0);
        }
    }

    /// A Parquet file with no rows whose schema is `depth` groups, each holding the next, around
    /// one optional int32 column; `children` overrides the root's child count.
    pub(crate) fn nested(depth: usize, children: Option<i32>) -> Vec<u8> {
        let mut e = Encoder(Vec::new());
        e.i32(1, 1); // version
        e.list(1, depth + 1, STRUCT); // schema
        for level in 0..depth {
            if level > 0 {
                e.i32(3, 1); // repetition_type OPTIONAL
                e.binary(1, b"g");
            } else {
                e.binary(4, b"m");
            }
            e.i32(1, if level == 0 { children.unwrap_or(1) } else { 1 });
            e.stop();
        }
        e.i32(1, 1); // type INT32
        e.i32(2, 1); // repetition_type OPTIONAL
        e.binary(1, b"x");
        e.stop();
        e.i64(1, 0); // num_rows
        e.list(1, 0, STRUCT); // row_groups
        e.stop();
        let mut file = b"PAR1".to_vec();
        let len = u32::try_from(e.0.len()).expect("small footer");
        file.extend_from_slice(&e.0);
        file.extend_from_slice(&len.to_le_bytes());
        file.extend_from_slice(b"PAR1");
        file
    }

    #[test]
    fn shallow_schemas_pass_and_deep_or_inconsistent_ones_do_not() {
        assert_eq!(check_schema(&nested(3, None)), Ok(()));
        assert_eq!(check_schema(&nested(MAX_DEPTH, None)), Ok(()));
        assert_eq!(
            check_schema(&nested(MAX_DEPTH + 1, None)),
            Err("its schema nests groups more than 64 levels deep".into())
        );
        assert_eq!(
            check_schema(&nested(2, Some(i32::MAX))),
            Err(
                "schema element 0 claims 2147483647 children, but only 2 elements follow it".into()
            )
        );
        assert_eq!(
            check_schema(&nested(2, Some(-1))),
            Err("schema element 0 has a negative number of children (-1)".into())
        );
        // Not a footer at all, or a cut one: left to the crate, or said.
        assert_eq!(check_schema(b"a,b\n1,2\n"), Ok(()));
        let mut cut = b"PAR1".to_vec();
        // version 1, then a schema list of five elements that never come
        cut.extend_from_slice(&[0x15, 0x02, 0x19, 0x5c]);
        cut.extend_from_slice(&4u32.to_le_bytes());
        cut.extend_from_slice(b"PAR1");
        assert_eq!(
            check_schema(&cut),
            Err("its footer ends in the middle of a value".into())
        );
    }

    #[test]
    fn a_file_written_by_the_crate_passes() {
        assert_eq!(
            check_schema(&crate::storage::parquet::tests::sample()),
            Ok(())
        );
    }
}
