//! `corsform-server export --format csv`: one row per submission, one column per field
//! name seen, quoted as RFC 4180 says (the `csv` crate), safe to open in a spreadsheet.

use std::io::Write;

use crate::store::{Delivery, Submission};

/// The columns before the fields.
pub const FIXED_COLUMNS: [&str; 5] = ["id", "form", "received", "origin", "delivery"];

/// A cell a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, or a tab or carriage
/// return before one) gets a leading `'`, which spreadsheets show as text (OWASP's
/// advice on CSV injection).
pub fn harmless(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// Writes `rows` as CSV: a header row, then one row per submission; the fields' columns in
/// the order their names were first seen; a name sent several times has its values on
/// separate lines of one cell; `delivery` is `pending`, `sent`, `failed` or empty (stored
/// with mail off).
pub fn write_csv(rows: &[Submission], out: impl Write) -> Result<(), csv::Error> {
    let mut names: Vec<&str> = Vec::new();
    for (name, _) in rows.iter().flat_map(|row| &row.fields) {
        if !names.contains(&name.as_str()) {
            names.push(name);
        }
    }
    let mut writer = csv::Writer::from_writer(out);
    let header = FIXED_COLUMNS.iter().copied().chain(names.iter().copied());
    writer.write_record(header.map(|cell| harmless(cell).into_owned()))?;
    for row in rows {
        let delivery = match &row.delivery {
            None => "",
            Some(Delivery::Pending { .. }) => "pending",
            Some(Delivery::Sent { .. }) => "sent",
            Some(Delivery::Failed { .. }) => "failed",
        };
        let mut record = vec![
            row.id.to_string(),
            row.form.clone(),
            row.received.clone(),
            row.origin.clone().unwrap_or_default(),
            delivery.to_owned(),
        ];
        for name in &names {
            let values: Vec<&str> = row
                .fields
                .iter()
                .filter(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
                .collect();
            record.push(values.join("\n"));
        }
        writer.write_record(record.iter().map(|cell| harmless(cell).into_owned()))?;
    }
    writer.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::harmless;

    #[test]
    fn formulas_are_made_text() {
        for cell in ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"] {
            assert_eq!(harmless(cell), format!("'{cell}"));
        }
        for cell in ["", "a=1", "1-2", "hello"] {
            assert_eq!(harmless(cell), cell);
        }
    }
}
