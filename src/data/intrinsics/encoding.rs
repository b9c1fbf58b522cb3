//! `States.Base64Encode`, `States.Base64Decode` and `States.Hash`.

use super::{Args, IntrinsicError, arity, fail, type_name};
use base64::Engine;
use serde_json::Value;

/// AWS's limit on the input of the encoding and hash intrinsics, in characters.
const MAX_INPUT_CHARS: usize = 10_000;

fn string_arg<'a>(name: &str, v: &'a Value) -> Result<&'a str, IntrinsicError> {
    let s = v.as_str().ok_or_else(|| {
        IntrinsicError(format!(
            "The first argument of {name} must be a string, but was {}",
            type_name(v)
        ))
    })?;
    if s.chars().count() > MAX_INPUT_CHARS {
        return fail(format!(
            "The input of {name} is longer than {MAX_INPUT_CHARS} characters"
        ));
    }
    Ok(s)
}

pub fn base64_encode(args: Args) -> Result<Value, IntrinsicError> {
    let name = "States.Base64Encode";
    arity(name, &args, 1, 1)?;
    let s = string_arg(name, &args[0])?;
    Ok(Value::String(
        base64::engine::general_purpose::STANDARD.encode(s.as_bytes()),
    ))
}

pub fn base64_decode(args: Args) -> Result<Value, IntrinsicError> {
    let name = "States.Base64Decode";
    arity(name, &args, 1, 1)?;
    let s = string_arg(name, &args[0])?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s.as_bytes())
        .or_else(|e| fail(format!("The argument of {name} is not valid base64: {e}")))?;
    String::from_utf8(bytes).map(Value::String).or_else(|_| {
        fail(format!(
            "The argument of {name} does not decode to UTF-8 text"
        ))
    })
}

pub fn hash(args: Args) -> Result<Value, IntrinsicError> {
    use sha2::Digest;
    let name = "States.Hash";
    arity(name, &args, 2, 2)?;
    let data = match &*args[0] {
        Value::String(s) => s.clone(),
        Value::Null => return fail(format!("The first argument of {name} cannot be null")),
        other => other.to_string(),
    };
    if data.chars().count() > MAX_INPUT_CHARS {
        return fail(format!(
            "The input of {name} is longer than {MAX_INPUT_CHARS} characters"
        ));
    }
    let Some(algorithm) = args[1].as_str() else {
        return fail(format!(
            "The second argument of {name} must be a string naming the algorithm"
        ));
    };
    let bytes = data.as_bytes();
    let digest: Vec<u8> = match algorithm {
        "MD5" => md5::Md5::digest(bytes).to_vec(),
        "SHA-1" => sha1::Sha1::digest(bytes).to_vec(),
        "SHA-256" => sha2::Sha256::digest(bytes).to_vec(),
        "SHA-384" => sha2::Sha384::digest(bytes).to_vec(),
        "SHA-512" => sha2::Sha512::digest(bytes).to_vec(),
        other => {
            return fail(format!(
                "The algorithm {other} is not supported by {name}: use MD5, SHA-1, SHA-256, SHA-384 or SHA-512"
            ));
        }
    };
    Ok(Value::String(
        digest.iter().map(|b| format!("{b:02x}")).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn base64_round_trips() {
        let e = base64_encode(args![json!("Data to encode")]).unwrap();
        assert_eq!(e, json!("RGF0YSB0byBlbmNvZGU="));
        assert_eq!(base64_decode(args![e]).unwrap(), json!("Data to encode"));
        assert!(base64_decode(args![json!("***")]).is_err());
        assert!(base64_encode(args![json!("x".repeat(10_001))]).is_err());
    }

    #[test]
    fn hashes_with_every_algorithm() {
        let h = |a: &str| hash(args![json!("input data"), json!(a)]).unwrap();
        assert_eq!(
            h("SHA-1"),
            json!("aaff4a450a104cd177d28d18d74485e8cae074b7")
        );
        assert_eq!(
            h("SHA-256"),
            json!("b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3")
        );
        assert_eq!(h("MD5").as_str().map(str::len), Some(32));
        assert_eq!(h("SHA-384").as_str().map(str::len), Some(96));
        assert_eq!(h("SHA-512").as_str().map(str::len), Some(128));
        assert!(hash(args![json!("x"), json!("SHA-3")]).is_err());
    }
}
