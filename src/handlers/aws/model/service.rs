//! One service's model, read in place: botocore's layout (`metadata`, `operations`,
//! `shapes`), with [`Shape`] and [`Member`] as borrowed views so nothing is copied per call.

use super::bundle::{Entry, Protocol};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;

/// A service's model and its index entry. The model's text is kept; an operation or a shape
/// is parsed the first time it is asked for, so resolving one operation of EC2's model (1.3
/// MB of JSON, 3,000 shapes) parses only what that operation uses.
#[derive(Debug)]
pub struct Service {
    pub entry: Entry,
    text: Box<str>,
    metadata: Map<String, Value>,
    operations: Lazy,
    shapes: Lazy,
}

/// Named JSON objects of the model's text, each parsed on first use.
#[derive(Debug, Default)]
struct Lazy {
    /// The names, sorted.
    names: Vec<Box<str>>,
    by_name: HashMap<Box<str>, Entry1, foldhash::fast::FixedState>,
}

#[derive(Debug)]
struct Entry1 {
    range: Range<usize>,
    parsed: OnceLock<Option<Map<String, Value>>>,
}

impl Lazy {
    fn from(text: &str, raw: HashMap<Cow<'_, str>, &RawValue>) -> Lazy {
        let base = text.as_ptr() as usize;
        let mut names: Vec<Box<str>> = raw.keys().map(|k| Box::from(&**k)).collect();
        names.sort();
        let by_name = raw
            .into_iter()
            .map(|(k, v)| {
                let start = v.get().as_ptr() as usize - base;
                (
                    Box::from(&*k),
                    Entry1 {
                        range: start..start + v.get().len(),
                        parsed: OnceLock::new(),
                    },
                )
            })
            .collect();
        Lazy { names, by_name }
    }

    /// The object named `name`, parsed now if it was not yet, with the name as the model
    /// spells it.
    fn get<'a>(&'a self, text: &str, name: &str) -> Option<(&'a str, &'a Map<String, Value>)> {
        let (k, e) = self.by_name.get_key_value(name)?;
        let m = e
            .parsed
            .get_or_init(|| {
                text.get(e.range.clone())
                    .and_then(|t| serde_json::from_str(t).ok())
            })
            .as_ref()?;
        Some((k, m))
    }

    /// The unparsed text of `name`.
    fn raw<'t>(&self, text: &'t str, name: &str) -> Option<&'t str> {
        text.get(self.by_name.get(name)?.range.clone())
    }
}

static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);

impl Service {
    pub(super) fn from_json(entry: &Entry, text: Vec<u8>) -> Result<Service, String> {
        #[derive(serde::Deserialize)]
        struct Doc<'a> {
            metadata: Map<String, Value>,
            #[serde(borrow)]
            operations: HashMap<Cow<'a, str>, &'a RawValue>,
            #[serde(borrow)]
            shapes: HashMap<Cow<'a, str>, &'a RawValue>,
        }
        let text = String::from_utf8(text)
            .map_err(|e| e.to_string())?
            .into_boxed_str();
        let (metadata, operations, shapes) = {
            let doc: Doc = serde_json::from_str(&text).map_err(|e| e.to_string())?;
            (
                doc.metadata,
                Lazy::from(&text, doc.operations),
                Lazy::from(&text, doc.shapes),
            )
        };
        Ok(Service {
            entry: entry.clone(),
            text,
            metadata,
            operations,
            shapes,
        })
    }

    pub fn protocol(&self) -> Protocol {
        self.entry.protocol
    }

    /// A `metadata` string (`targetPrefix`, `jsonVersion`, `apiVersion`, `serviceId`, ...).
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.metadata.get(key).and_then(Value::as_str)
    }

    /// Whether `metadata` has `key` at all (`awsQueryCompatible`).
    pub fn has_meta(&self, key: &str) -> bool {
        self.metadata.contains_key(key)
    }

    /// The operation a Step Functions action names: the model's operation with its first
    /// letter lower-cased (`getObject` for `GetObject`, `listObjectsV2`), or named exactly.
    pub fn operation(&self, action: &str) -> Option<Operation<'_>> {
        let (name, m) = self.operations.get(&self.text, action).or_else(|| {
            let mut c = action.chars();
            let first = c.next()?;
            let pascal: String = first.to_uppercase().chain(c).collect();
            self.operations.get(&self.text, &pascal)
        })?;
        Some(Operation {
            name,
            service: self,
            m,
        })
    }

    /// Every operation's name, sorted.
    pub fn operation_names(&self) -> impl Iterator<Item = &str> {
        self.operations.names.iter().map(|n| &**n)
    }

    pub fn shape(&self, name: &str) -> Option<Shape<'_>> {
        let (name, m) = self.shapes.get(&self.text, name)?;
        Some(Shape {
            name,
            service: self,
            m,
        })
    }

    /// The exception shape an error code names: by shape name, or by its `error.code` (only
    /// shapes whose text mentions the code are parsed to look).
    pub fn exception(&self, code: &str) -> Option<Shape<'_>> {
        if let Some(s) = self.shape(code).filter(|s| s.flag("exception")) {
            return Some(s);
        }
        let quoted = format!("\"{code}\"");
        self.shapes.names.iter().find_map(|name| {
            let raw = self.shapes.raw(&self.text, name)?;
            if !raw.contains("\"exception\"") || !raw.contains(&quoted) {
                return None;
            }
            let s = self.shape(name)?;
            let matches = s.flag("exception")
                && s.m
                    .get("error")
                    .and_then(|e| e.get("code"))
                    .and_then(Value::as_str)
                    == Some(code);
            matches.then_some(s)
        })
    }
}

/// One operation of a service.
#[derive(Clone, Copy)]
pub struct Operation<'a> {
    pub name: &'a str,
    pub service: &'a Service,
    m: &'a Map<String, Value>,
}

impl<'a> Operation<'a> {
    fn http(&self, key: &str) -> Option<&'a Value> {
        self.m.get("http").and_then(|h| h.get(key))
    }

    pub fn method(&self) -> &'a str {
        self.http("method")
            .and_then(Value::as_str)
            .unwrap_or("POST")
    }

    /// The protocol of this operation's requests and answers: its service's, unless the
    /// bundle marks it (`"protocol"`; Athena is bundled as AWS JSON but its
    /// `GetQueryResultStream`, whose answer AWS JSON cannot carry, stays REST-JSON).
    pub fn protocol(&self) -> Protocol {
        self.m
            .get("protocol")
            .and_then(Value::as_str)
            .and_then(Protocol::parse)
            .unwrap_or_else(|| self.service.protocol())
    }

    pub fn request_uri(&self) -> &'a str {
        self.http("requestUri")
            .and_then(Value::as_str)
            .unwrap_or("/")
    }

    /// The input structure, if the operation takes any.
    pub fn input(&self) -> Option<Shape<'a>> {
        self.ref_shape("input")
    }

    pub fn output(&self) -> Option<Shape<'a>> {
        self.ref_shape("output")
    }

    /// REST-XML: the root element of a request body without a payload member, and its
    /// namespace, as the operation's input reference names them (Route 53).
    pub fn input_root(&self) -> (Option<&'a str>, Option<&'a str>) {
        let r = self.m.get("input");
        let name = r
            .and_then(|r| r.get("locationName"))
            .and_then(Value::as_str);
        let ns = r.and_then(|r| r.get("xmlNamespace")).and_then(|ns| {
            ns.as_str()
                .or_else(|| ns.get("uri").and_then(Value::as_str))
        });
        (name, ns)
    }

    /// The query protocol's element wrapping the output (`PublishResult`).
    pub fn result_wrapper(&self) -> Option<&'a str> {
        self.m
            .get("output")
            .and_then(|o| o.get("resultWrapper"))
            .and_then(Value::as_str)
    }

    /// The host prefix template (`{AccountId}.`), for services that put labels in the host.
    pub fn host_prefix(&self) -> Option<&'a str> {
        self.m
            .get("endpoint")
            .and_then(|e| e.get("hostPrefix"))
            .and_then(Value::as_str)
    }

    /// The request checksum the operation takes (`httpChecksum`): the input member naming
    /// the algorithm, and whether a checksum is required; `httpChecksumRequired` (the older
    /// trait: a `Content-MD5`) as `(None, true)`.
    pub fn request_checksum(&self) -> Option<(Option<&'a str>, bool)> {
        if let Some(c) = self.m.get("httpChecksum") {
            let member = c.get("requestAlgorithmMember").and_then(Value::as_str);
            let required = c.get("requestChecksumRequired").and_then(Value::as_bool) == Some(true);
            if member.is_some() || required {
                return Some((member, required));
            }
        }
        (self.m.get("httpChecksumRequired").and_then(Value::as_bool) == Some(true))
            .then_some((None, true))
    }

    /// Whether the operation is sent unsigned (`authtype: none`).
    pub fn unsigned(&self) -> bool {
        self.m.get("authtype").and_then(Value::as_str) == Some("none")
    }

    fn ref_shape(&self, key: &str) -> Option<Shape<'a>> {
        let name = self.m.get(key)?.get("shape")?.as_str()?;
        self.service.shape(name)
    }
}

/// A shape of the model.
#[derive(Clone, Copy)]
pub struct Shape<'a> {
    pub name: &'a str,
    pub service: &'a Service,
    m: &'a Map<String, Value>,
}

impl<'a> Shape<'a> {
    /// `structure`, `list`, `map`, `string`, `integer`, `long`, `float`, `double`,
    /// `boolean`, `timestamp`, `blob`, `bigdecimal`, ...
    pub fn kind(&self) -> &'a str {
        self.str("type").unwrap_or("structure")
    }

    pub fn str(&self, key: &str) -> Option<&'a str> {
        self.m.get(key).and_then(Value::as_str)
    }

    pub fn flag(&self, key: &str) -> bool {
        self.m.get(key).and_then(Value::as_bool) == Some(true)
    }

    /// A structure's members, in model order.
    pub fn members(&self) -> impl Iterator<Item = Member<'a>> + 'a {
        let service = self.service;
        self.m
            .get("members")
            .and_then(Value::as_object)
            .unwrap_or(&EMPTY)
            .iter()
            .filter_map(move |(name, r)| Member::new(service, name, r))
    }

    pub fn member_named(&self, name: &str) -> Option<Member<'a>> {
        let (name, r) = self
            .m
            .get("members")
            .and_then(Value::as_object)?
            .get_key_value(name)?;
        Member::new(self.service, name, r)
    }

    /// Names of required members.
    pub fn required(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.m
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
    }

    /// The member a structure sends or receives as the whole HTTP body (REST protocols).
    pub fn payload(&self) -> Option<Member<'a>> {
        self.member_named(self.str("payload")?)
    }

    /// A list's element (`member`), a map's `key` and `value`.
    pub fn element(&self, which: &'static str) -> Option<Member<'a>> {
        let r = self.m.get(which)?;
        Member::new(self.service, which, r)
    }
}

/// A reference to a shape from a structure, list or map, with its own serialization traits.
#[derive(Clone, Copy)]
pub struct Member<'a> {
    pub name: &'a str,
    pub shape: Shape<'a>,
    m: &'a Map<String, Value>,
}

impl<'a> Member<'a> {
    fn new(service: &'a Service, name: &'a str, r: &'a Value) -> Option<Member<'a>> {
        let m = r.as_object()?;
        let shape = service.shape(m.get("shape")?.as_str()?)?;
        Some(Member { name, shape, m })
    }

    /// A trait of the reference, else of the shape (`locationName`, `timestampFormat`, ...).
    pub fn str(&self, key: &str) -> Option<&'a str> {
        self.m
            .get(key)
            .and_then(Value::as_str)
            .or_else(|| self.shape.str(key))
    }

    pub fn flag(&self, key: &str) -> bool {
        match self.m.get(key).and_then(Value::as_bool) {
            Some(b) => b,
            None => self.shape.flag(key),
        }
    }

    /// The XML namespace the element declares (`xmlNamespace`, a URI or `{"uri": ...}`), on
    /// the reference or its shape.
    pub fn xml_namespace(&self) -> Option<&'a str> {
        let ns = self
            .m
            .get("xmlNamespace")
            .or_else(|| self.shape.m.get("xmlNamespace"))?;
        ns.as_str()
            .or_else(|| ns.get("uri").and_then(Value::as_str))
    }

    /// Where the member travels in REST protocols: `uri`, `querystring`, `header`,
    /// `headers`, `statusCode`; `None` for the body.
    pub fn location(&self) -> Option<&'a str> {
        self.m.get("location").and_then(Value::as_str)
    }

    /// The reference's own `locationName` (not the shape's).
    pub fn location_name(&self) -> Option<&'a str> {
        self.m.get("locationName").and_then(Value::as_str)
    }

    /// The name on the wire: `locationName`, else the member's name.
    pub fn wire_name(&self) -> &'a str {
        self.location_name().unwrap_or(self.name)
    }
}
