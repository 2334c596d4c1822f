//! Time instants as the MessagePack timestamp extension (type −1).

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::{self, Deserialize, Deserializer};
use serde::ser::{Serialize, Serializer};
use serde_bytes::ByteBuf;

use crate::types::{AbiType, Ty};

/// The extension type of the MessagePack timestamp.
pub(crate) const TIMESTAMP_EXT: i8 = -1;

/// The name rmp-serde gives the newtype struct through which extension values travel.
pub(crate) const EXT_STRUCT: &str = rmp_serde::MSGPACK_EXT_STRUCT_NAME;

/// A point in time: seconds since the Unix epoch and nanoseconds (0 to 999,999,999) after them.
///
/// It crosses as the timestamp extension in its canonical form (ABI.md, section 5): timestamp 32
/// when `nsec` is 0 and `sec` fits 32 unsigned bits, else timestamp 64 when `sec` fits 34 bits,
/// else timestamp 96. Its ABI type is `time`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp {
    /// Seconds since 1970-01-01T00:00:00Z (negative before it).
    pub sec: i64,
    /// Nanoseconds after `sec`, below 1,000,000,000.
    pub nsec: u32,
}

impl Timestamp {
    /// The timestamp `sec` seconds and `nsec` nanoseconds after the epoch, or `None` when `nsec`
    /// is not below one second.
    pub fn new(sec: i64, nsec: u32) -> Option<Self> {
        (nsec < 1_000_000_000).then_some(Timestamp { sec, nsec })
    }

    /// Reads the data of a timestamp extension (4, 8 or 12 bytes).
    pub fn from_ext(data: &[u8]) -> Option<Self> {
        match *data {
            [a, b, c, d] => Some(Timestamp {
                sec: u32::from_be_bytes([a, b, c, d]).into(),
                nsec: 0,
            }),
            _ if data.len() == 8 => {
                let word = u64::from_be_bytes(data.try_into().ok()?);
                // The top 30 bits are the nanoseconds, the low 34 bits the seconds.
                Timestamp::new((word & 0x3_ffff_ffff) as i64, (word >> 34) as u32)
            }
            _ if data.len() == 12 => {
                let nsec = u32::from_be_bytes(data[..4].try_into().ok()?);
                Timestamp::new(i64::from_be_bytes(data[4..].try_into().ok()?), nsec)
            }
            _ => None,
        }
    }

    /// Writes the data of the canonical timestamp extension for this instant. Nanoseconds of a
    /// second or more (the fields are public) carry into the seconds.
    pub fn to_ext(&self) -> Vec<u8> {
        let sec = self
            .sec
            .saturating_add(i64::from(self.nsec / 1_000_000_000));
        let nsec = self.nsec % 1_000_000_000;
        if sec >= 0 && sec >> 34 == 0 {
            if nsec == 0 && sec >> 32 == 0 {
                return (sec as u32).to_be_bytes().to_vec();
            }
            return ((u64::from(nsec) << 34) | sec as u64)
                .to_be_bytes()
                .to_vec();
        }
        let mut data = nsec.to_be_bytes().to_vec();
        data.extend_from_slice(&sec.to_be_bytes());
        data
    }
}

impl AbiType for Timestamp {
    const TYPE: Ty = Ty::Time;
}

impl From<SystemTime> for Timestamp {
    fn from(t: SystemTime) -> Self {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => Timestamp {
                sec: d.as_secs() as i64,
                nsec: d.subsec_nanos(),
            },
            Err(e) => {
                // Before the epoch: round the seconds down so that nsec stays positive.
                let d = e.duration();
                let (sec, nsec) = (-(d.as_secs() as i64), d.subsec_nanos());
                if nsec == 0 {
                    Timestamp { sec, nsec: 0 }
                } else {
                    Timestamp {
                        sec: sec - 1,
                        nsec: 1_000_000_000 - nsec,
                    }
                }
            }
        }
    }
}

impl From<Timestamp> for SystemTime {
    fn from(t: Timestamp) -> Self {
        let nsec = Duration::from_nanos(t.nsec.into());
        if t.sec >= 0 {
            UNIX_EPOCH + Duration::from_secs(t.sec as u64) + nsec
        } else {
            UNIX_EPOCH - Duration::from_secs(t.sec.unsigned_abs()) + nsec
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:09}s since the epoch", self.sec, self.nsec)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer
            .serialize_newtype_struct(EXT_STRUCT, &(TIMESTAMP_EXT, ByteBuf::from(self.to_ext())))
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let Ext(tag, data) = Ext::deserialize(deserializer)?;
        if tag != TIMESTAMP_EXT {
            return Err(de::Error::custom(format_args!(
                "expected the timestamp extension (-1), got extension {tag}"
            )));
        }
        Timestamp::from_ext(&data).ok_or_else(|| de::Error::custom("malformed timestamp extension"))
    }
}

/// A MessagePack extension value as rmp-serde hands it over: a newtype struct around
/// `(type, data)`.
pub(crate) struct Ext(pub i8, pub Vec<u8>);

impl<'de> Deserialize<'de> for Ext {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ExtVisitor;

        impl<'de> de::Visitor<'de> for ExtVisitor {
            type Value = Ext;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a MessagePack extension")
            }

            fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Ext, D::Error> {
                let (tag, data): (i8, ByteBuf) = Deserialize::deserialize(d)?;
                Ok(Ext(tag, data.into_vec()))
            }
        }

        deserializer.deserialize_newtype_struct(EXT_STRUCT, ExtVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms() {
        let t32 = Timestamp {
            sec: 1_700_000_000,
            nsec: 0,
        };
        assert_eq!(t32.to_ext().len(), 4);
        let t64 = Timestamp {
            sec: 1_700_000_000,
            nsec: 123_456_789,
        };
        assert_eq!(t64.to_ext().len(), 8);
        let t96 = Timestamp { sec: -1, nsec: 500 };
        assert_eq!(t96.to_ext().len(), 12);
        let far = Timestamp {
            sec: 1 << 34,
            nsec: 1,
        };
        assert_eq!(far.to_ext().len(), 12);
        for t in [t32, t64, t96, far] {
            assert_eq!(Timestamp::from_ext(&t.to_ext()), Some(t));
        }
    }

    #[test]
    fn rejects_bad_nanoseconds_and_lengths() {
        let mut bad = Timestamp { sec: 0, nsec: 0 }.to_ext();
        bad.extend_from_slice(&[0; 8]); // 12 bytes of zero are fine ...
        assert!(Timestamp::from_ext(&bad).is_some());
        let over = ((1_000_000_000u64) << 34).to_be_bytes(); // ... nsec of one second is not
        assert!(Timestamp::from_ext(&over).is_none());
        assert!(Timestamp::from_ext(&[0; 5]).is_none());
    }

    #[test]
    fn system_time_round_trip() {
        for t in [
            Timestamp { sec: 0, nsec: 0 },
            Timestamp {
                sec: 1_700_000_000,
                nsec: 5,
            },
            Timestamp {
                sec: -2,
                nsec: 999_999_999,
            },
            Timestamp { sec: -1, nsec: 0 },
        ] {
            assert_eq!(Timestamp::from(SystemTime::from(t)), t);
        }
    }
}
