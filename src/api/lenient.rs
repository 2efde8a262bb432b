//! Forgiving field deserializers: a field of an unexpected shape becomes its default instead of
//! failing the whole response.
//!
//! A designer's image must never be lost because Google changed the type of a field Peel only
//! displays. Fields that matter for correctness (parts, images) use these too, but their absence is
//! then diagnosed as `no_image` rather than a parse error.

use serde::{Deserialize, Deserializer};

/// Deserializes `T`, falling back to `T::default()` when the value has another shape.
pub fn or_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    let value = serde_json::Value::deserialize(deserializer)?;
    Ok(T::deserialize(value).unwrap_or_default())
}

/// Deserializes an optional count that may arrive as a number or as a decimal string
/// (proto int64 fields are strings in JSON).
pub fn count<'de, D>(deserializer: D) -> Result<Option<u64>, D::Error>
where
    D: Deserializer<'de>,
{
    let value = serde_json::Value::deserialize(deserializer)?;
    Ok(match value {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// Deserializes an optional text that may arrive as a string or as a number (`quotaValue`).
pub fn text<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    let value = serde_json::Value::deserialize(deserializer)?;
    Ok(match value {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}
