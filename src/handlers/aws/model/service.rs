//! One service's model, read in place: botocore's layout (`metadata`, `operations`,
//! `shapes`), with [`Shape`] and [`Member`] as borrowed views so nothing is copied per call.

use super::bundle::{Entry, Protocol};
use serde_json::{Map, Value};

/// A service's model and its index entry.
#[derive(Debug)]
pub struct Service {
    pub entry: Entry,
    metadata: Map<String, Value>,
    operations: Map<String, Value>,
    shapes: Map<String, Value>,
}

static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);

impl Service {
    pub(super) fn from_json(entry: &Entry, text: &[u8]) -> Result<Service, String> {
        let Value::Object(mut doc) = serde_json::from_slice(text).map_err(|e| e.to_string())?
        else {
            return Err("the model is not an object".into());
        };
        let mut take = |k: &str| match doc.remove(k) {
            Some(Value::Object(m)) => Ok(m),
            _ => Err(format!("the model has no `{k}`")),
        };
        Ok(Service {
            entry: entry.clone(),
            metadata: take("metadata")?,
            operations: take("operations")?,
            shapes: take("shapes")?,
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
        let found = self.operations.get_key_value(action).or_else(|| {
            let mut c = action.chars();
            let first = c.next()?;
            let pascal: String = first.to_uppercase().chain(c).collect();
            self.operations.get_key_value(&pascal)
        })?;
        Some(Operation {
            name: found.0,
            service: self,
            m: found.1.as_object()?,
        })
    }

    /// Every operation's name, in model order.
    pub fn operation_names(&self) -> impl Iterator<Item = &str> {
        self.operations.keys().map(String::as_str)
    }

    pub fn shape(&self, name: &str) -> Option<Shape<'_>> {
        let (name, v) = self.shapes.get_key_value(name)?;
        Some(Shape {
            name,
            service: self,
            m: v.as_object()?,
        })
    }

    /// The exception shape an error code names: by shape name, or by its `error.code`.
    pub fn exception(&self, code: &str) -> Option<Shape<'_>> {
        if let Some(s) = self.shape(code).filter(|s| s.flag("exception")) {
            return Some(s);
        }
        self.shapes.iter().find_map(|(name, v)| {
            let m = v.as_object()?;
            let matches = m.get("exception").and_then(Value::as_bool) == Some(true)
                && m.get("error")
                    .and_then(|e| e.get("code"))
                    .and_then(Value::as_str)
                    == Some(code);
            matches.then_some(Shape {
                name,
                service: self,
                m,
            })
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
