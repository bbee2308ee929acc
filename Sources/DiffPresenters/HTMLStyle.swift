/// The page's only stylesheet, inlined so a report is one file that opens anywhere.
enum HTMLStyle {
    static let css = """
    :root { --fg: #1f2328; --muted: #656d76; --line: #d0d7de; --bg: #ffffff; --panel: #f6f8fa;
            --red: #cf222e; --green: #1a7f37; --amber: #9a6700; }
    * { box-sizing: border-box; }
    body { font: 14px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg);
           background: var(--bg); margin: 0; padding: 24px 32px; max-width: 1280px; }
    h1 { font-size: 22px; margin: 0 0 8px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
    h3 { font-size: 15px; margin: 20px 0 6px; }
    code, pre, .name { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12.5px; }
    .sides { color: var(--muted); margin: 4px 0; } .side { display: inline-block; width: 18px; font-weight: 600; color: var(--fg); }
    .verdict { font-size: 16px; font-weight: 600; margin: 10px 0; padding: 6px 12px; border-radius: 6px; display: inline-block; }
    .verdict.different { background: #ffebe9; color: var(--red); }
    .verdict.identical, .verdict.equivalent { background: #dafbe1; color: var(--green); }
    .first { color: var(--muted); margin: 6px 0; }
    table.layers { border-collapse: collapse; width: 100%; margin-top: 6px; }
    table.layers th, table.layers td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
    table.layers th { background: var(--panel); font-weight: 600; }
    table.layers tr.same td { color: var(--muted); }
    table.layers td.size { white-space: nowrap; }
    table.layers tr.differs td:nth-child(2) { color: var(--red); font-weight: 600; }
    .badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600;
             background: #eaeef2; color: #24292f; margin: 1px 2px; white-space: nowrap; }
    .badge b { margin-left: 2px; }
    .badge.possible { opacity: .75; border: 1px dashed currentColor; }
    .badge.timestamp { background: #ddf4ff; color: #0550ae; } .badge.randomness { background: #fbefff; color: #8250df; }
    .badge.hostname, .badge.pid { background: #fff1e5; color: #bc4c00; } .badge.build-path { background: #fff8c5; color: #7d4e00; }
    .badge.ordering { background: #dafbe1; color: #116329; } .badge.uid-gid, .badge.permissions { background: #ffebe9; color: #a40e26; }
    .badge.locale { background: #f1f8ff; color: #0969da; } .badge.cache-mount { background: #fff8c5; color: #9a6700; }
    .badge.base-image, .badge.input { background: #eaeef2; color: #424a53; } .badge.network { background: #ffeff7; color: #bf3989; }
    .badge.unexplained { background: #ffebe9; color: var(--red); }
    .evidence { color: var(--muted); font-size: 12px; margin: 0 6px; }
    .step { font-weight: normal; color: var(--muted); font-size: 13px; } .loc { color: var(--amber); }
    section { border: 1px solid var(--line); border-radius: 8px; padding: 4px 16px 12px; margin: 12px 0; }
    ul.entries, ul.entries ul { list-style: none; padding-left: 16px; margin: 4px 0; }
    ul.entries > li { border-top: 1px solid var(--panel); padding: 4px 0; }
    li .name { font-weight: 600; } li.added > .name { color: var(--green); } li.removed > .name { color: var(--red); }
    .status { color: var(--amber); font-size: 12px; }
    .values del { color: var(--red); text-decoration: none; background: #ffebe9; padding: 0 3px; }
    .values ins { color: var(--green); text-decoration: none; background: #dafbe1; padding: 0 3px; }
    pre.detail { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px;
                 overflow-x: auto; margin: 6px 0; max-height: 420px; }
    pre.detail span { display: block; white-space: pre; } input.filter { display: none; }
    nav.filters { margin: 8px 0 14px; } nav.filters label { display: inline-block; margin: 0 6px 4px 0; padding: 2px 10px;
      border: 1px solid var(--line); border-radius: 12px; cursor: pointer; font-size: 12px; }
    details > summary { cursor: pointer; } details > summary h3 { display: inline; }
    li.folder > details > summary .count { color: var(--muted); font-size: 12px; } pre.detail .added { background: #dafbe1; }
    pre.detail .removed { background: #ffebe9; } pre.detail .header { color: #0969da; }
    .more { color: var(--muted); font-style: italic; }
    footer { color: var(--muted); margin-top: 24px; font-size: 12px; }
    """
}
