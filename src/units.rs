//! Numbers as people read them, for messages and output alike.

/// `1.5 MB`, `12.0 kB`, `300 B`.
pub fn human_bytes(bytes: u64) -> String {
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{:.1} kB", bytes as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", bytes as f64 / 1e6),
        _ => format!("{:.2} GB", bytes as f64 / 1e9),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_at_any_scale() {
        assert_eq!(human_bytes(300), "300 B");
        assert_eq!(human_bytes(12_000), "12.0 kB");
        assert_eq!(human_bytes(1_500_000), "1.5 MB");
        assert_eq!(human_bytes(2_340_000_000), "2.34 GB");
    }
}
