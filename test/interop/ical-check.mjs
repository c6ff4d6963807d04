// ical-check reads an iCalendar file — from the URL given as its argument,
// or from stdin — with ical.js, an independent parser (the one of Mozilla's
// calendar), and prints what it understood as one JSON object:
// {"calendar": {prodid, name, timezone}, "events": [{uid, summary, start,
// end, location, description, url}]}, times as UTC ISO strings. A file it
// cannot parse makes it exit with an error.
import ICAL from "ical.js";

async function readInput() {
  const url = process.argv[2];
  if (url) {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
    return res.text();
  }
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

// ical.js reads the X- properties it does not know as raw values; RFC 5545
// (§3.8.8.2) makes TEXT their default type, as Apple's X-WR-CALNAME and
// X-WR-TIMEZONE are: say so, and it unescapes them as it does SUMMARY.
for (const name of ["x-wr-calname", "x-wr-timezone"]) {
  ICAL.design.icalendar.property[name] = { defaultType: "text" };
}

const text = await readInput();
const cal = new ICAL.Component(ICAL.parse(text));
const events = cal.getAllSubcomponents("vevent").map((vevent) => {
  const e = new ICAL.Event(vevent);
  return {
    uid: e.uid,
    summary: e.summary,
    start: e.startDate.toJSDate().toISOString(),
    end: e.endDate.toJSDate().toISOString(),
    location: e.location ?? "",
    description: e.description ?? "",
    url: vevent.getFirstPropertyValue("url") ?? "",
  };
});
console.log(JSON.stringify({
  calendar: {
    prodid: cal.getFirstPropertyValue("prodid"),
    name: cal.getFirstPropertyValue("x-wr-calname") ?? "",
    timezone: cal.getFirstPropertyValue("x-wr-timezone") ?? "",
  },
  events,
}));
