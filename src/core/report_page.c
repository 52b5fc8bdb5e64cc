/*
 * report_page.c — the head, style sheet and foot every report page shares.
 */
#include <math.h>

#include "report_buf.h"

/* The style sheet: system fonts only, nothing fetched. */
static const char *report_css =
"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;"
"margin:0 auto;padding:16px 24px;max-width:1180px;color:#1d2330;background:#fff}"
"h1{font-size:22px;margin:4px 0}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #e3e6ec;padding-bottom:4px}"
".note{color:#5b6475;font-size:13px;margin:2px 0}"
".banner{background:#fff5d6;border:1px solid #e7c65a;padding:8px 12px;border-radius:6px;margin:10px 0}"
".banner.failed{background:#fde8e8;border-color:#e08b8b}"
".stats{display:flex;flex-wrap:wrap;gap:10px;margin:14px 0;padding:0}"
".stats div{border:1px solid #e3e6ec;border-radius:8px;padding:8px 14px;min-width:120px}"
".stats dt{font-size:12px;color:#5b6475;margin:0}.stats dd{font-size:19px;font-weight:600;margin:0;word-break:break-all}"
"table{border-collapse:collapse;font-size:13px}th,td{border-bottom:1px solid #eceef2;padding:3px 8px;text-align:left;vertical-align:top}"
"th{background:#f6f7f9;position:sticky;top:0}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
"tr.best td{background:#eaf7ea;font-weight:600}tr.sep td{background:#f6f7f9;color:#5b6475;font-style:italic}"
"td.reasoning{max-width:420px;white-space:pre-wrap;word-break:break-word;font-weight:normal}"
".scroll{overflow-x:auto;max-width:100%}"
"svg{font:11px system-ui,sans-serif;max-width:100%;height:auto}svg .grid{stroke:#eceef2}svg .axis{stroke:#8a92a3}"
"svg .tick{fill:#5b6475}svg .label{fill:#1d2330;font-size:12px}"
"svg .best-line{fill:none;stroke:#d62728;stroke-width:1.6}svg .pt{stroke:none}"
"svg .fail{fill:none;stroke:#d62728;stroke-width:1}svg .holdout{fill:#ff7f0e;stroke:#000;stroke-width:.6}"
".legend{display:flex;flex-wrap:wrap;gap:14px;font-size:12px;color:#3b4252;margin:4px 0}"
".sw{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:4px;vertical-align:-1px}"
".slices{display:flex;flex-wrap:wrap;gap:12px}"
".bar{fill:#4c78a8}footer{margin-top:30px;color:#8a92a3;font-size:12px}";

/* Open the page. */
void
PtReportHead(PtBuf *b, const char *title, int refresh_s)
{
	PtBufPuts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
	if (refresh_s > 0)
		PtBufPrintf(b, "<meta http-equiv=\"refresh\" content=\"%d\">\n", refresh_s);
	PtBufPuts(b, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
			  "<meta name=\"generator\" content=\"ptopt\">\n<title>");
	PtBufEscape(b, title);
	PtBufPuts(b, "</title>\n<style>");
	PtBufPuts(b, report_css);
	PtBufPuts(b, "</style>\n</head>\n<body>\n");
}

/* Close the page. */
void
PtReportFoot(PtBuf *b)
{
	PtBufPuts(b, "<footer>Made by ptopt inside PostgreSQL. Synthetic replay only: not a forecast.</footer>\n"
			  "</body>\n</html>\n");
}

/* Append an elapsed time. */
void
PtBufElapsed(PtBuf *b, double s)
{
	if (!isfinite(s) || s < 0)
		PtBufPuts(b, "\xe2\x80\x93");
	else if (s < 1)
		PtBufPrintf(b, "%.0f ms", s * 1000);
	else if (s < 60)
		PtBufPrintf(b, "%.1f s", s);
	else if (s < 3600)
		PtBufPrintf(b, "%d min %d s", (int) (s / 60), (int) fmod(s, 60));
	else
		PtBufPrintf(b, "%d h %d min", (int) (s / 3600), (int) fmod(s / 60, 60));
}
