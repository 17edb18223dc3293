//! Characters that make text look like something it is not: invisible ones (zero-width
//! spaces and joiners, fillers, variation selectors, tags) and the bidirectional controls
//! that reorder what is shown (`x\u{202e}y` shows as `xy` reversed). `bill\u{200b}` would
//! look exactly like `bill` in a log, a URL or the portal, so ids and names refuse them.

/// Whether `c` is invisible or a format character (Unicode category `Cf`, which holds every
/// bidirectional control), or another code point drawn as nothing.
pub fn is_deceptive(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'                      // soft hyphen
        | '\u{034F}'                    // combining grapheme joiner
        | '\u{061C}'                    // Arabic letter mark (bidi)
        | '\u{0600}'..='\u{0605}'
        | '\u{06DD}'
        | '\u{070F}'
        | '\u{0890}'..='\u{0891}'
        | '\u{08E2}'
        | '\u{115F}'..='\u{1160}'       // Hangul fillers
        | '\u{17B4}'..='\u{17B5}'       // Khmer inherent vowels
        | '\u{180B}'..='\u{180F}'       // Mongolian selectors and vowel separator
        | '\u{200B}'..='\u{200F}'       // zero-width space, joiners, LRM, RLM
        | '\u{2028}'..='\u{202E}'       // line/paragraph separators, bidi embeddings and overrides
        | '\u{2060}'..='\u{206F}'       // word joiner, invisible operators, bidi isolates
        | '\u{3164}'                    // Hangul filler
        | '\u{FE00}'..='\u{FE0F}'       // variation selectors
        | '\u{FEFF}'                    // zero-width no-break space (BOM)
        | '\u{FFA0}'                    // halfwidth Hangul filler
        | '\u{FFF9}'..='\u{FFFB}'       // interlinear annotation
        | '\u{110BD}'
        | '\u{110CD}'
        | '\u{13430}'..='\u{1343F}'
        | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}'     // tags and variation selectors supplement
    )
}

#[cfg(test)]
mod tests {
    use super::is_deceptive;

    #[test]
    fn invisible_and_bidi_characters_are_caught() {
        for c in [
            '\u{200B}',
            '\u{202E}',
            '\u{2066}',
            '\u{FEFF}',
            '\u{00AD}',
            '\u{E0041}',
        ] {
            assert!(is_deceptive(c), "{:?}", c);
        }
        for c in ['a', 'É', 'ß', '-', ' ', '\u{00A0}', '日'] {
            assert!(!is_deceptive(c), "{:?}", c);
        }
    }
}
