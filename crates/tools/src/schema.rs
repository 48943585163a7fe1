//! Input schemas from the argument structs, made small: inline subschemas, no `$schema`,
//! no titles, no `null` in the types of optional fields (absence already says optional),
//! no integer `format`s. Output schemas are small and hand-written.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

pub fn input<T: JsonSchema>() -> Map<String, Value> {
    let generator = SchemaSettings::draft2020_12()
        .with(|s| {
            s.inline_subschemas = true;
            s.meta_schema = None;
        })
        .for_deserialize()
        .into_generator();
    let mut value: Value = generator.into_root_schema_for::<T>().into();
    clean(&mut value, true);
    match value {
        Value::Object(mut map) => {
            // Every tool takes an object, even without properties.
            map.entry("properties").or_insert_with(|| json!({}));
            map.insert("type".into(), json!("object"));
            map
        }
        _ => unreachable!("argument structs give object schemas"),
    }
}

/// Removes noise from a generated schema, recursively.
pub fn clean(value: &mut Value, root: bool) {
    match value {
        Value::Object(map) => {
            map.remove("$schema");
            map.remove("title");
            map.remove("format");
            if !root {
                map.remove("additionalProperties");
            }
            let nullable = map.remove("x-nullable").is_some();
            if !nullable {
                if let Some(Value::Array(types)) = map.get("type") {
                    let rest: Vec<Value> = types
                        .iter()
                        .filter(|t| t.as_str() != Some("null"))
                        .cloned()
                        .collect();
                    if rest.len() == 1 {
                        map.insert("type".into(), rest[0].clone());
                    }
                }
                // `Option<T>` of a non-primitive comes as anyOf [T, null].
                if let Some(Value::Array(any)) = map.get("anyOf") {
                    let rest: Vec<Value> = any
                        .iter()
                        .filter(|s| s.get("type").and_then(Value::as_str) != Some("null"))
                        .cloned()
                        .collect();
                    if rest.len() == 1 {
                        map.remove("anyOf");
                        if let Value::Object(inner) = &rest[0] {
                            for (k, v) in inner {
                                map.entry(k.clone()).or_insert_with(|| v.clone());
                            }
                        }
                    }
                }
            }
            if map.get("default") == Some(&Value::Null) {
                map.remove("default");
            }
            if map.get("minimum") == Some(&json!(0)) && map.get("type") == Some(&json!("integer")) {
                // usize: the domain checks ranges with clearer words.
                map.remove("minimum");
            }
            if let Some(Value::Object(props)) = map.get_mut("properties") {
                for v in props.values_mut() {
                    clean(v, false);
                }
            }
            if let Some(items) = map.get_mut("items") {
                clean(items, false);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| clean(v, false)),
        _ => {}
    }
}

/// Output: `{ key: [objects], next_cursor?, trimmed? }`.
pub fn list(key: &str, paginated: bool) -> Map<String, Value> {
    let mut props = Map::new();
    props.insert(
        key.into(),
        json!({"type": "array", "items": {"type": "object"}}),
    );
    if paginated {
        props.insert("next_cursor".into(), json!({"type": "string"}));
    }
    props.insert("trimmed".into(), json!({"type": "boolean"}));
    object(props, &[key])
}

/// Output: `{ key: object, ... }` with other top-level fields described by `extra`.
pub fn one(key: &str, extra: &[(&str, Value)]) -> Map<String, Value> {
    let mut props = Map::new();
    props.insert(key.into(), json!({"type": "object"}));
    for (k, v) in extra {
        props.insert((*k).into(), v.clone());
    }
    object(props, &[key])
}

pub fn object(props: Map<String, Value>, required: &[&str]) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("type".into(), json!("object"));
    map.insert("properties".into(), Value::Object(props));
    map.insert("required".into(), json!(required));
    map
}
