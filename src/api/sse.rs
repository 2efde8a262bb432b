//! Splitting a `streamGenerateContent?alt=sse` body into its pieces as it arrives: server-sent
//! events (`data:` lines up to a blank line) and, as google-genai also reads them, plain JSON
//! written without `data:` (an error that arrives mid-stream, often over several lines).
//!
//! Nothing here limits a line or an event: a 4K image arrives as one `data:` line of 10–30 MB
//! (aiohttp's "Chunk too big" and Go's `bufio.Scanner` "token too long" are what a limit does);
//! the client's cap on the whole body is the only bound. Each byte is looked at once as it
//! arrives (the search for line ends resumes where it stopped), so splitting is linear in the
//! body, and a large event leaves as the very buffer it arrived in, never copied.
//!
//! Lines end at LF, CRLF or CR (the SSE rule, mixed freely). `data:` lines of one event are
//! joined with `\n` ([`event_data`]); comments (`:`), `event:`, `id:`, `retry:` and other fields
//! are ignored.

/// One piece of a stream, as it was sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// A server-sent event: its lines (`data:` prefixes, comments and all) up to the blank line
    /// that ended it; [`event_data`] makes its data.
    Event(Vec<u8>),
    /// Plain JSON sent without `data:`: its lines exactly as sent, from the one that opened a
    /// brace to the one that closed it (an error written mid-stream).
    Json(Vec<u8>),
}

/// What the lines so far are part of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Gathering {
    /// Nothing yet: lines that are neither data nor JSON are skipped.
    Nothing,
    /// An event; `has_data` once a `data:` line came.
    Event { has_data: bool },
    /// Plain JSON, until its braces balance.
    Json(Braces),
}

/// How deep plain JSON is, counted over `{`, `[`, `}` and `]` outside strings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Braces {
    depth: i64,
    in_string: bool,
    escaped: bool,
}

impl Braces {
    fn feed(&mut self, line: &[u8]) {
        for &byte in line {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if byte == b'\\' {
                    self.escaped = true;
                } else if byte == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            match byte {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => self.depth -= 1,
                _ => {}
            }
        }
    }

    /// Whether every brace opened was closed (or more were closed: it is over either way).
    fn closed(self) -> bool {
        self.depth <= 0
    }
}

/// What a line is, by its first bytes.
enum Line {
    Blank,
    Data,
    /// Starts (after spaces) with `{` or `[`: plain JSON.
    Json,
    /// A comment, `event:`, `id:`, `retry:` or an unknown field: skipped.
    Other,
}

fn kind(line: &[u8]) -> Line {
    if line.is_empty() {
        return Line::Blank;
    }
    if is_data_line(line) {
        return Line::Data;
    }
    match line.trim_ascii_start().first() {
        Some(b'{' | b'[') => Line::Json,
        _ => Line::Other,
    }
}

/// `data` or `data:…` (the SSE field, with or without a value).
fn is_data_line(line: &[u8]) -> bool {
    line.strip_prefix(b"data")
        .is_some_and(|rest| rest.is_empty() || rest[0] == b':')
}

/// Splits a body into [`Piece`]s as it arrives: [`feed`](Self::feed) each chunk, then take the
/// pieces it completed from [`next_piece`](Self::next_piece) until `None`; at the body's end,
/// [`finish`](Self::finish) and take the rest the same way.
#[derive(Debug)]
pub struct EventSplitter {
    buffer: Vec<u8>,
    /// Where the piece being gathered starts; the bytes before it are done with.
    piece_start: usize,
    /// Where the line being looked for starts.
    line_start: usize,
    /// Where the search for that line's end resumes.
    scan: usize,
    /// The last line ended with CR: an LF right after it is part of that line's end.
    after_cr: bool,
    gathering: Gathering,
    ended: bool,
    scanned_bytes: usize,
}

impl Default for EventSplitter {
    fn default() -> Self {
        Self::new()
    }
}

impl EventSplitter {
    /// A splitter at the start of a body.
    pub fn new() -> Self {
        Self {
            buffer: Vec::new(),
            piece_start: 0,
            line_start: 0,
            scan: 0,
            after_cr: false,
            gathering: Gathering::Nothing,
            ended: false,
            scanned_bytes: 0,
        }
    }

    /// Adds the next chunk of the body. The bytes of pieces already taken are dropped first
    /// (at most what the last chunk brought is moved).
    pub fn feed(&mut self, chunk: &[u8]) {
        let done = self.piece_start;
        if done > 0 {
            self.buffer.drain(..done);
            self.piece_start = 0;
            self.line_start -= done;
            self.scan -= done;
        }
        self.buffer.extend_from_slice(chunk);
    }

    /// Says the body ended: [`next_piece`](Self::next_piece) then gives what is left (an event
    /// without its closing blank line, plain JSON whose braces never closed).
    pub fn finish(&mut self) {
        self.ended = true;
    }

    /// Bytes held that are not part of a piece taken yet.
    pub fn pending_bytes(&self) -> usize {
        self.buffer.len() - self.piece_start
    }

    /// How many bytes the search for line ends has looked at, in all: each byte once.
    pub fn scanned_bytes(&self) -> usize {
        self.scanned_bytes
    }

    /// The next piece the body so far completes, if any.
    pub fn next_piece(&mut self) -> Option<Piece> {
        loop {
            if self.after_cr {
                let Some(&byte) = self.buffer.get(self.line_start) else {
                    return self.at_end();
                };
                self.after_cr = false;
                if byte == b'\n' {
                    self.line_start += 1;
                    self.scan = self.line_start;
                }
            }
            let found = self.buffer[self.scan..]
                .iter()
                .position(|&b| b == b'\n' || b == b'\r');
            let Some(offset) = found else {
                self.scanned_bytes += self.buffer.len() - self.scan;
                self.scan = self.buffer.len();
                return self.at_end();
            };
            self.scanned_bytes += offset + 1;
            let end = self.scan + offset;
            self.after_cr = self.buffer[end] == b'\r';
            if let Some(piece) = self.on_line(self.line_start, end, end + 1) {
                return Some(piece);
            }
        }
    }

    /// Nothing more to look at: what is left once the body ended, else nothing yet.
    fn at_end(&mut self) -> Option<Piece> {
        if !self.ended {
            return None;
        }
        let len = self.buffer.len();
        if self.line_start < len {
            // The last line had no line end.
            self.after_cr = false;
            if let Some(piece) = self.on_line(self.line_start, len, len) {
                return Some(piece);
            }
        }
        let start = self.piece_start;
        match std::mem::replace(&mut self.gathering, Gathering::Nothing) {
            Gathering::Event { has_data: true } => Some(Piece::Event(self.cut(start, len, len))),
            Gathering::Json(_) => Some(Piece::Json(self.cut(start, len, len))),
            Gathering::Nothing | Gathering::Event { has_data: false } => {
                self.piece_start = len;
                None
            }
        }
    }

    /// Takes the line `start..end` (the next one starts at `next`); returns the piece it ends.
    fn on_line(&mut self, start: usize, end: usize, next: usize) -> Option<Piece> {
        self.line_start = next;
        self.scan = next;
        if let Gathering::Json(mut braces) = self.gathering {
            braces.feed(&self.buffer[start..end]);
            if !braces.closed() {
                self.gathering = Gathering::Json(braces);
                return None;
            }
            self.gathering = Gathering::Nothing;
            return Some(Piece::Json(self.cut(self.piece_start, end, next)));
        }
        match (kind(&self.buffer[start..end]), self.gathering) {
            (Line::Blank, Gathering::Event { has_data: true }) => {
                self.gathering = Gathering::Nothing;
                Some(Piece::Event(self.cut(self.piece_start, start, next)))
            }
            (Line::Blank | Line::Other, Gathering::Nothing)
            | (Line::Blank, Gathering::Event { has_data: false }) => {
                self.gathering = Gathering::Nothing;
                self.piece_start = next;
                None
            }
            (Line::Data, Gathering::Nothing) => {
                self.piece_start = start;
                self.gathering = Gathering::Event { has_data: true };
                None
            }
            (Line::Data, Gathering::Event { .. }) => {
                self.gathering = Gathering::Event { has_data: true };
                None
            }
            (Line::Other, Gathering::Event { .. }) => None,
            (Line::Json, Gathering::Event { has_data: true }) => {
                // JSON without `data:` ends the event before it; the line is looked at again.
                self.line_start = start;
                self.scan = start;
                self.after_cr = false;
                self.gathering = Gathering::Nothing;
                Some(Piece::Event(self.cut(self.piece_start, start, start)))
            }
            (Line::Json, _) => {
                self.piece_start = start;
                self.gathering = Gathering::Json(Braces::default());
                self.on_line(start, end, next)
            }
            (_, Gathering::Json(_)) => unreachable!("plain JSON is handled above"),
        }
    }

    /// The bytes `start..end` as a piece; the body goes on at `resume`. A piece that is most of
    /// the buffer leaves as the buffer itself (only what follows it is copied); a small one is
    /// copied out.
    fn cut(&mut self, start: usize, end: usize, resume: usize) -> Vec<u8> {
        let rest = start + (self.buffer.len() - resume);
        if end - start < rest {
            self.piece_start = resume;
            return self.buffer[start..end].to_vec();
        }
        let tail = self.buffer[resume..].to_vec();
        self.buffer.truncate(end);
        self.buffer.drain(..start);
        let piece = std::mem::replace(&mut self.buffer, tail);
        self.piece_start = 0;
        self.line_start -= resume;
        self.scan -= resume;
        piece
    }
}

/// The data of an event, made in the event's own memory: the values of its `data:` lines (one
/// space after the colon dropped), joined with `\n`; every other line dropped. `None` when the
/// event has no `data:` line.
pub fn event_data(mut event: Vec<u8>) -> Option<Vec<u8>> {
    let len = event.len();
    let (mut read, mut write) = (0, 0);
    let mut any = false;
    while read < len {
        let end = event[read..]
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
            .map_or(len, |offset| read + offset);
        let next = if event[end..].starts_with(b"\r\n") {
            end + 2
        } else {
            end + 1
        };
        if is_data_line(&event[read..end]) {
            let mut value = read + 4;
            if value < end {
                value += 1;
                if event.get(value) == Some(&b' ') && value < end {
                    value += 1;
                }
            }
            if any {
                event[write] = b'\n';
                write += 1;
            }
            event.copy_within(value..end, write);
            write += end - value;
            any = true;
        }
        read = next;
    }
    event.truncate(write);
    any.then_some(event)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every piece of `body` fed in chunks of `chunk` bytes, the end included.
    fn split(body: &[u8], chunk: usize) -> Vec<Piece> {
        let mut splitter = EventSplitter::new();
        let mut pieces = Vec::new();
        for part in body.chunks(chunk.max(1)) {
            splitter.feed(part);
            while let Some(piece) = splitter.next_piece() {
                pieces.push(piece);
            }
        }
        splitter.finish();
        while let Some(piece) = splitter.next_piece() {
            pieces.push(piece);
        }
        pieces
    }

    /// The data of each piece, as text (plain JSON as sent).
    fn texts(pieces: Vec<Piece>) -> Vec<String> {
        pieces
            .into_iter()
            .map(|piece| match piece {
                Piece::Event(event) => {
                    String::from_utf8(event_data(event).expect("an event has data")).unwrap()
                }
                Piece::Json(json) => format!("json:{}", String::from_utf8(json).unwrap()),
            })
            .collect()
    }

    /// The same body split in every chunk size from 1 to its length gives the same pieces.
    fn assert_splits(body: &str, expected: &[&str]) {
        for chunk in 1..=body.len() {
            assert_eq!(
                texts(split(body.as_bytes(), chunk)),
                expected,
                "chunks of {chunk}: {body:?}"
            );
        }
    }

    #[test]
    fn lf_crlf_cr_and_mixed_line_ends_split_alike() {
        let expected = [r#"{"a":1}"#, r#"{"b":2}"#];
        assert_splits("data: {\"a\":1}\n\ndata: {\"b\":2}\n\n", &expected);
        assert_splits("data: {\"a\":1}\r\n\r\ndata: {\"b\":2}\r\n\r\n", &expected);
        assert_splits("data: {\"a\":1}\r\rdata: {\"b\":2}\r\r", &expected);
        assert_splits("data: {\"a\":1}\r\n\ndata: {\"b\":2}\n\r\n", &expected);
        // No space after the colon, and no blank line at the very end.
        assert_splits("data:{\"a\":1}\n\ndata: {\"b\":2}", &expected);
    }

    #[test]
    fn comments_and_other_fields_are_skipped() {
        assert_splits(
            ": keep-alive\n\nevent: message\nid: 7\nretry: 100\ndata: {\"a\":1}\n: mid\n\n:\n\n\n\n",
            &[r#"{"a":1}"#],
        );
        // An event with fields but no data is no piece.
        assert_splits("event: ping\nid: 1\n\n", &[]);
    }

    #[test]
    fn data_lines_of_one_event_join_with_a_newline() {
        assert_splits(
            "data: {\ndata:   \"a\": 1\r\ndata\ndata:}\n\n",
            &["{\n  \"a\": 1\n\n}"],
        );
    }

    /// An error written mid-stream as plain JSON over several lines, with no `data:`, as
    /// google-genai reads it; the text comes out exactly as sent, line ends and all.
    #[test]
    fn plain_json_without_data_is_one_piece_as_sent() {
        let error = "{\n  \"error\": {\n    \"code\": 500,\n    \"message\": \"a } in text [\\\"\",\r\n    \"status\": \"INTERNAL\"\n  }\n}";
        let body = format!("data: {{\"a\":1}}\n\n{error}\n");
        assert_splits(&body, &[r#"{"a":1}"#, &format!("json:{error}")]);
        // Straight after an event's data line, without the blank line.
        let body = format!("data: {{\"a\":1}}\n{error}\n\ndata: {{\"b\":2}}\n\n");
        assert_splits(
            &body,
            &[r#"{"a":1}"#, &format!("json:{error}"), r#"{"b":2}"#],
        );
        // The body ends before the braces close: what came is the piece.
        assert_splits(
            "{\"error\": {\n\"code\": 500",
            &["json:{\"error\": {\n\"code\": 500"],
        );
    }

    /// The array form (`streamGenerateContent` without `alt=sse`, or an error wrapped in one)
    /// is one piece when its brackets balance.
    #[test]
    fn an_array_is_one_piece() {
        let array = "[{\"candidates\": []}\n,\n{\"error\": {\"code\": 429}}\n]";
        assert_splits(array, &[&format!("json:{array}")]);
        assert_splits(
            "[{\"error\":{\"code\":400}}]\n",
            &["json:[{\"error\":{\"code\":400}}]"],
        );
    }

    /// A 20 MB `data:` line arriving in 16 KiB chunks: one event, each byte looked at once,
    /// and the event leaves as the buffer it arrived in (its data made in place there).
    #[test]
    fn a_huge_line_is_split_in_linear_time_without_a_copy() {
        let image = "A".repeat(20 << 20);
        let body = format!("data: {{\"d\":\"{image}\"}}\n\ndata: {{\"b\":2}}\n\n");
        let mut splitter = EventSplitter::new();
        let mut pieces = Vec::new();
        let mut buffers = Vec::new();
        for part in body.as_bytes().chunks(16 * 1024) {
            splitter.feed(part);
            let buffer = splitter.buffer.as_ptr();
            while let Some(piece) = splitter.next_piece() {
                pieces.push(piece);
                buffers.push(buffer);
            }
        }
        assert!(
            splitter.scanned_bytes() <= body.len(),
            "{} bytes looked at for {}",
            splitter.scanned_bytes(),
            body.len()
        );
        assert_eq!(pieces.len(), 2);
        let Piece::Event(event) = pieces.remove(0) else {
            panic!("not an event")
        };
        assert_eq!(
            event.as_ptr(),
            buffers[0],
            "the event is the buffer, not a copy"
        );
        let data = event_data(event).unwrap();
        assert_eq!(data.as_ptr(), buffers[0], "its data is made in place");
        assert_eq!(data.len(), image.len() + 8);
        assert_eq!(texts(pieces), [r#"{"b":2}"#]);
        assert_eq!(splitter.pending_bytes(), 0);
    }
}
