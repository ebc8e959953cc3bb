//! Domain types and rules of normverk, one module per feature.
//!
//! Everything here is pure: no I/O, no clock (the current time is passed in as Unix seconds),
//! no randomness. The web, store and CLI layers call these rules; this crate never calls them.

/// An enumeration whose values have stable snake_case names, parsed with an error that lists
/// the allowed names.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <String as ::serde::Deserialize>::deserialize(d)?;
                text.parse().map_err(::serde::de::Error::custom)
            }
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::org::UnknownValue;
            fn from_str(s: &str) -> Result<Self, $crate::org::UnknownValue> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::org::UnknownValue {
                        what: stringify!($name),
                        value: s.chars().take(64).collect(),
                        allowed: vec![$($text),+],
                    }),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result { f.write_str(self.as_str()) }
        }

        impl $crate::Coded for $name {
            fn codes() -> Vec<&'static str> {
                vec![$($text),+]
            }
        }
    };
}

/// A closed set of values written as codes (every `string_enum!`): what an API document lists
/// as the values a field takes.
pub trait Coded {
    fn codes() -> Vec<&'static str>;
}

pub mod access_log;
pub mod access_review;
pub mod account;
pub mod assessment;
pub mod asset;
pub mod authz;
pub mod catalog;
pub mod deviation;
pub mod dpia;
pub mod import;
pub mod org;
pub mod problem;
pub mod processing;
pub mod risk;
pub mod scim;
pub mod system;
pub mod text;
