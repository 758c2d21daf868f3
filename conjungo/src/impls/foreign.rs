//! Types of other crates as atomic values (the overwrite rule), one Cargo feature each:
//! `chrono`, `time`, `uuid`, `rust_decimal`, `url`. Their patch forms are in
//! `patch::typed`.

#[cfg(feature = "chrono")]
super::scalars::scalar! {
    chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::FixedOffset>,
    chrono::NaiveDate, chrono::NaiveTime,
    chrono::NaiveDateTime, chrono::TimeDelta,
}

#[cfg(feature = "time")]
super::scalars::scalar! {
    time::OffsetDateTime, time::PrimitiveDateTime, time::UtcDateTime, time::Date, time::Time,
    time::UtcOffset, time::Duration,
}

#[cfg(feature = "uuid")]
super::scalars::scalar! { uuid::Uuid }

#[cfg(feature = "rust_decimal")]
super::scalars::scalar! { rust_decimal::Decimal }

#[cfg(feature = "url")]
super::scalars::scalar! { url::Url }
