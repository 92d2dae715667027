//! The layout every tabular format shares: header rows (one per pivot field, carrying each
//! pivot column's value over its measures, then the field labels), the body rows, and a totals
//! row — as Looker lays out csv, txt, md, html, gsxml and xlsx. Cells are read in place from
//! the result, not copied.

use present::CellRenderer;
use result::pivot::NULL_KEY;
use result::{ColumnInfo, PivotTable, QueryResult, Value};

use crate::FormatError;

static NULL: Value = Value::Null;

/// A header cell spanning `span` columns (pivot values span their measures).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HeaderCell {
    pub text: String,
    pub span: usize,
}

impl HeaderCell {
    fn one(text: impl Into<String>) -> HeaderCell {
        HeaderCell { text: text.into(), span: 1 }
    }
}

enum Source<'a> {
    Flat(&'a QueryResult),
    Pivot(&'a PivotTable),
}

pub(crate) struct Grid<'a> {
    /// Header rows, top to bottom; the last one holds the field labels.
    pub headers: Vec<Vec<HeaderCell>>,
    /// The field each output column shows.
    pub columns: Vec<&'a ColumnInfo>,
    renderers: Vec<CellRenderer>,
    formatted: bool,
    source: Source<'a>,
}

impl<'a> Grid<'a> {
    pub fn new(result: &'a QueryResult, formatted: bool) -> Result<Grid<'a>, FormatError> {
        let (headers, columns, source) = match &result.pivot {
            None => {
                let columns: Vec<&ColumnInfo> = result.table.columns.iter().collect();
                (vec![columns.iter().map(|c| HeaderCell::one(&c.label)).collect()], columns, Source::Flat(result))
            }
            Some(pivot) => {
                let (headers, columns) = pivot_layout(pivot);
                (headers, columns, Source::Pivot(pivot))
            }
        };
        let renderers = columns.iter().map(|c| CellRenderer::for_column(c)).collect::<Result<_, _>>()?;
        Ok(Grid { headers, columns, renderers, formatted, source })
    }

    pub fn width(&self) -> usize {
        self.columns.len()
    }

    pub fn row_count(&self) -> usize {
        match &self.source {
            Source::Flat(result) => result.table.row_count(),
            Source::Pivot(pivot) => pivot.rows.len(),
        }
    }

    /// Row `r`'s cells, one per output column.
    pub fn row(&self, r: usize) -> Vec<&'a Value> {
        match self.source {
            Source::Flat(result) => (0..result.table.columns.len()).map(|c| result.table.value(c, r)).collect(),
            Source::Pivot(pivot) => {
                let row = &pivot.rows[r];
                let mut cells: Vec<&Value> = row.dimensions.iter().collect();
                let row_totals = |cells: &mut Vec<&'a Value>| match &row.row_total {
                    Some(totals) => cells.extend(totals.iter()),
                    None => cells.extend(std::iter::repeat_n(&NULL, pivot.measures.len())),
                };
                if pivot.has_row_totals && pivot.row_totals_left {
                    row_totals(&mut cells);
                }
                for c in 0..pivot.columns.len() {
                    cells.extend(row.cells.iter().map(|measure| &measure[c]));
                }
                if pivot.has_row_totals && !pivot.row_totals_left {
                    row_totals(&mut cells);
                }
                cells.extend(row.row_calcs.iter());
                cells
            }
        }
    }

    /// The totals row (NULL under dimensions and row totals), when the query has totals.
    pub fn totals(&self) -> Option<Vec<&'a Value>> {
        match self.source {
            Source::Flat(result) => result.totals.as_ref().map(|t| t.iter().collect()),
            Source::Pivot(pivot) => pivot.totals.as_ref().map(|totals| {
                let mut cells: Vec<&Value> = vec![&NULL; pivot.dimensions.len()];
                if pivot.has_row_totals && pivot.row_totals_left {
                    cells.extend(std::iter::repeat_n(&NULL, pivot.measures.len()));
                }
                for c in 0..pivot.columns.len() {
                    cells.extend(totals.iter().map(|measure| &measure[c]));
                }
                if pivot.has_row_totals && !pivot.row_totals_left {
                    cells.extend(std::iter::repeat_n(&NULL, pivot.measures.len()));
                }
                cells.extend(std::iter::repeat_n(&NULL, pivot.row_calcs.len()));
                cells
            }),
        }
    }

    /// A cell's text: rendered by its field's value format under `apply_formatting`, else as
    /// the value prints; empty for NULL.
    pub fn text(&self, column: usize, value: &Value) -> String {
        let text = match self.formatted {
            true => self.renderers[column].render(value),
            false => value.to_text(),
        };
        text.unwrap_or_default()
    }

    /// The header rows with every cell repeated over its span (csv, txt, md: no merged cells).
    pub fn header_records(&self) -> Vec<Vec<String>> {
        self.headers.iter().map(|row| row.iter().flat_map(|cell| std::iter::repeat_n(cell.text.clone(), cell.span)).collect()).collect()
    }

    /// Every body row's texts.
    pub fn body_records(&self) -> impl Iterator<Item = Vec<String>> + '_ {
        (0..self.row_count()).map(|r| self.texts(&self.row(r)))
    }

    pub fn totals_record(&self) -> Option<Vec<String>> {
        self.totals().map(|cells| self.texts(&cells))
    }

    fn texts(&self, cells: &[&Value]) -> Vec<String> {
        cells.iter().enumerate().map(|(c, v)| self.text(c, v)).collect()
    }
}

/// Header rows and output columns of a pivot table: the dimensions, each pivot column's
/// measures, and the row totals' measures (last, or after the dimensions for `row_total: left`).
fn pivot_layout(pivot: &PivotTable) -> (Vec<Vec<HeaderCell>>, Vec<&ColumnInfo>) {
    let dims = pivot.dimensions.len();
    let measures = pivot.measures.len();
    let mut headers = Vec::new();
    for (k, field) in pivot.pivots.iter().enumerate() {
        let mut row: Vec<HeaderCell> = (0..dims).map(|_| HeaderCell::one("")).collect();
        if let Some(last) = row.last_mut() {
            last.text = field.label.clone();
        }
        let (left, right) = (pivot.has_row_totals && pivot.row_totals_left, pivot.has_row_totals && !pivot.row_totals_left);
        if left {
            row.push(HeaderCell { text: String::new(), span: measures });
        }
        for column in &pivot.columns {
            let value = column.values[k].to_text().unwrap_or_else(|| NULL_KEY.to_string());
            row.push(HeaderCell { text: value, span: measures });
        }
        if right {
            row.push(HeaderCell { text: String::new(), span: measures });
        }
        row.extend(pivot.row_calcs.iter().map(|_| HeaderCell::one("")));
        headers.push(row);
    }
    let mut columns: Vec<&ColumnInfo> = pivot.dimensions.iter().collect();
    if pivot.has_row_totals && pivot.row_totals_left {
        columns.extend(pivot.measures.iter());
    }
    for _ in &pivot.columns {
        columns.extend(pivot.measures.iter());
    }
    if pivot.has_row_totals && !pivot.row_totals_left {
        columns.extend(pivot.measures.iter());
    }
    columns.extend(pivot.row_calcs.iter());
    headers.push(columns.iter().map(|c| HeaderCell::one(&c.label)).collect());
    (headers, columns)
}
