//! Reading the members of a request body, with AWS's `ValidationException` for a wrong one.

use super::api_error::ApiError;
use serde_json::{Map, Value};

/// A request's JSON object.
pub struct Request<'a>(pub &'a Map<String, Value>);

impl<'a> Request<'a> {
    /// An optional string member.
    pub fn str(&self, key: &str) -> Result<Option<&'a str>, ApiError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ApiError::new(
                "SerializationException",
                format!("`{key}` must be a string"),
            )),
        }
    }

    /// A required string member.
    pub fn required(&self, key: &str) -> Result<&'a str, ApiError> {
        self.str(key)?.ok_or_else(|| {
            ApiError::validation(format!(
                "1 validation error detected: Value null at '{key}' failed to satisfy constraint: Member must not be null"
            ))
        })
    }

    /// An optional boolean member.
    pub fn bool(&self, key: &str) -> Result<bool, ApiError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(ApiError::new(
                "SerializationException",
                format!("`{key}` must be a boolean"),
            )),
        }
    }

    /// `maxResults` (0 or absent: AWS's default of 100; at most 1000).
    pub fn max_results(&self) -> Result<usize, ApiError> {
        match self.0.get("maxResults") {
            None | Some(Value::Null) => Ok(100),
            Some(v) => match v.as_u64() {
                Some(0) => Ok(100),
                Some(n) if n <= 1000 => Ok(n as usize),
                _ => Err(ApiError::validation(format!(
                    "1 validation error detected: Value '{v}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000"
                ))),
            },
        }
    }

    /// `nextToken` as the offset this server wrote into it.
    pub fn next_token(&self) -> Result<usize, ApiError> {
        match self.str("nextToken")? {
            None => Ok(0),
            Some(t) => t
                .strip_prefix("asl-")
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| ApiError::new("InvalidToken", format!("Invalid token: '{t}'"))),
        }
    }
}

/// One page of `items` from `offset`, and the `nextToken` of the rest.
pub fn page<T: Clone>(items: &[T], offset: usize, max: usize) -> (Vec<T>, Option<String>) {
    let from = offset.min(items.len());
    let to = from.saturating_add(max).min(items.len());
    let next = (to < items.len()).then(|| format!("asl-{to}"));
    (items[from..to].to_vec(), next)
}

/// AWS's rule for the names of state machines, executions and activities: 1 to 80
/// characters, none of them white space, brackets, wildcards, punctuation AWS reserves or
/// control characters.
pub fn valid_name(name: &str) -> bool {
    let n = name.chars().count();
    (1..=80).contains(&n)
        && !name.chars().any(|c| {
            c.is_whitespace()
                || "<>{}[]?*\"#%\\^|~`$&,;:/".contains(c)
                || ('\u{0}'..='\u{1f}').contains(&c)
                || ('\u{7f}'..='\u{9f}').contains(&c)
        })
}

/// `InvalidName` for a name AWS would refuse.
pub fn check_name(name: &str) -> Result<(), ApiError> {
    if valid_name(name) {
        Ok(())
    } else {
        Err(ApiError::new(
            "InvalidName",
            format!("Invalid Name: '{name}'"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_aws_rules() {
        assert!(valid_name("HelloWorld-1_a.b"));
        assert!(!valid_name(""));
        assert!(!valid_name(&"a".repeat(81)));
        assert!(valid_name(&"a".repeat(80)));
        for bad in ["a b", "a/b", "a:b", "a#b", "a*b", "a\u{7}b", "a{b"] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn pages_carry_a_token_until_the_end() {
        let v: Vec<u32> = (0..5).collect();
        assert_eq!(page(&v, 0, 2), (vec![0, 1], Some("asl-2".into())));
        assert_eq!(page(&v, 4, 2), (vec![4], None));
        assert_eq!(page(&v, 9, 2), (vec![], None));
    }
}
