//! Charts drawn by the server as SVG text (no script, no external resources), for
//! `queries backtest --chart` now and the web pages later. In: labelled counts; out: an SVG
//! document whose every label is escaped.

use crate::text::escape_html;

/// A bar chart of counts, one bar per label (oldest first), with a title, the busiest count on
/// the axis and about eight labels along the bottom.
pub fn bars_svg(title: &str, bars: &[(String, usize)]) -> String {
    let (width, height) = (720.0_f64, 260.0_f64);
    let (left, right, top, bottom) = (48.0, 12.0, 34.0, 40.0);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let max = bars.iter().map(|(_, c)| *c).max().unwrap_or(0).max(1);
    let step = plot_w / bars.len().max(1) as f64;
    let bar_w = (step * 0.8).max(1.0);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" \
         width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"{}\" \
         font-family=\"sans-serif\" font-size=\"11\">\n\
         <title>{}</title>\n\
         <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n\
         <text x=\"{left}\" y=\"20\" font-size=\"14\" fill=\"#222\">{}</text>\n",
        escape_html(title),
        escape_html(title),
        escape_html(title)
    );
    let baseline = top + plot_h;
    svg.push_str(&format!(
        "<line x1=\"{left}\" y1=\"{baseline}\" x2=\"{}\" y2=\"{baseline}\" stroke=\"#888\"/>\n\
         <text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#555\">{max}</text>\n\
         <text x=\"{}\" y=\"{baseline}\" text-anchor=\"end\" fill=\"#555\">0</text>\n",
        width - right,
        left - 6.0,
        top + 4.0,
        left - 6.0
    ));
    let label_every = bars.len().div_ceil(8).max(1);
    for (i, (label, count)) in bars.iter().enumerate() {
        let h = plot_h * (*count as f64) / max as f64;
        let x = left + step * i as f64 + (step - bar_w) / 2.0;
        svg.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bar_w:.1}\" height=\"{h:.1}\" fill=\"#3465a4\">\
             <title>{}: {count}</title></rect>\n",
            baseline - h,
            escape_html(label)
        ));
        if i % label_every == 0 {
            svg.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#555\">{}</text>\n",
                x + bar_w / 2.0,
                baseline + 16.0,
                escape_html(label)
            ));
        }
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_and_labels_are_escaped() {
        let bars = vec![
            ("<script>".to_string(), 2),
            ("b".to_string(), 4),
            ("c".to_string(), 0),
        ];
        let svg = bars_svg("a & b", &bars);
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(!svg.contains("<script>") && svg.contains("&lt;script&gt;"));
        assert!(svg.contains("a &amp; b"));
        // The busiest bar fills the plot (186 px), the half bar half of it.
        assert!(svg.contains("height=\"186.0\""), "{svg}");
        assert!(svg.contains("height=\"93.0\""), "{svg}");
        assert_eq!(svg.matches("<rect x=").count(), 3);
        assert!(bars_svg("empty", &[]).contains("</svg>"));
    }
}
