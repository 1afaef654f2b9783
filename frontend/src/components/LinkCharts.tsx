import { useQuery } from "@tanstack/react-query";
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import { useEffect, useRef } from "react";
import { useTranslation } from "react-i18next";
import { api, type LinkDaily, unwrap } from "../api/client";
import { currentLanguage } from "../i18n";
import { formatNumber, formatPercent } from "../i18n/format";
import { ErrorBox, Loading } from "./ui";

Chart.register(
  BarController,
  BarElement,
  LineController,
  LineElement,
  PointElement,
  CategoryScale,
  LinearScale,
  Tooltip,
);

const DAYS = 30;

export interface DaySeries {
  days: string[];
  orders: number[];
  stock: number[];
  errorRate: (number | null)[];
}

/** The daily answer as one value per day for each chart, days without runs included as zero. */
export function toSeries(data: LinkDaily): DaySeries {
  const days: string[] = [];
  for (let d = new Date(`${data.since}T00:00:00Z`); d <= new Date(`${data.until}T00:00:00Z`); ) {
    days.push(d.toISOString().slice(0, 10));
    d = new Date(d.getTime() + 86_400_000);
  }
  const index = new Map(days.map((d, i) => [d, i]));
  const orders = days.map(() => 0);
  const stock = days.map(() => 0);
  const runs = days.map(() => 0);
  const failedRuns = days.map(() => 0);
  for (const item of data.items) {
    const i = index.get(item.day);
    if (i === undefined) continue;
    if (item.flow === "orders") orders[i] = (orders[i] ?? 0) + item.created + item.updated;
    if (item.flow === "stock") stock[i] = (stock[i] ?? 0) + item.created + item.updated;
    runs[i] = (runs[i] ?? 0) + item.runs;
    failedRuns[i] = (failedRuns[i] ?? 0) + item.failedRuns;
  }
  const errorRate = days.map((_, i) => (runs[i] ? (failedRuns[i] ?? 0) / (runs[i] ?? 1) : null));
  return { days, orders, stock, errorRate };
}

function dayLabel(day: string): string {
  return new Intl.DateTimeFormat(currentLanguage() === "cs" ? "cs-CZ" : "en-GB", {
    day: "numeric",
    month: "numeric",
    timeZone: "UTC",
  }).format(new Date(`${day}T00:00:00Z`));
}

function ChartCanvas({
  title,
  labels,
  values,
  kind,
  percent = false,
}: {
  title: string;
  labels: string[];
  values: (number | null)[];
  kind: "bar" | "line";
  percent?: boolean;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!ref.current) return;
    const chart = new Chart(ref.current, {
      type: kind,
      data: {
        labels,
        datasets: [
          {
            label: title,
            data: values,
            backgroundColor: percent ? "#a11a1a" : "#0b5cad",
            borderColor: percent ? "#a11a1a" : "#0b5cad",
            spanGaps: true,
          },
        ],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          y: {
            beginAtZero: true,
            ticks: {
              ...(percent ? {} : { precision: 0 }),
              callback: (v) => (percent ? formatPercent(Number(v)) : formatNumber(Number(v))),
            },
            ...(percent ? { max: 1 } : {}),
          },
        },
        plugins: { tooltip: { enabled: true } },
      },
    });
    return () => chart.destroy();
  }, [title, labels, values, kind, percent]);
  const described = values
    .map((v, i) => (v ? `${labels[i]}: ${percent ? formatPercent(v) : formatNumber(v)}` : null))
    .filter(Boolean)
    .join(", ");
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div className="chart-box">
        <canvas ref={ref} role="img" aria-label={`${title}. ${described || "—"}`} />
      </div>
    </figure>
  );
}

/** Orders transferred, stock writes and the error rate per day over the last 30 days. */
export default function LinkCharts({ linkId }: { linkId: string }) {
  const { t, i18n } = useTranslation();
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "Europe/Prague";
  const daily = useQuery({
    queryKey: ["daily", linkId, zone],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/links/{link_id}/daily", {
          params: { path: { link_id: linkId }, query: { days: DAYS, timeZone: zone } },
        }),
      ),
  });
  if (daily.isPending) return <Loading />;
  if (!daily.data) return <ErrorBox error={daily.error} />;
  const series = toSeries(daily.data);
  const labels = series.days.map(dayLabel);
  return (
    <div className="charts" data-testid="charts" key={i18n.resolvedLanguage}>
      <ChartCanvas title={t("charts.orders")} labels={labels} values={series.orders} kind="bar" />
      <ChartCanvas title={t("charts.stock")} labels={labels} values={series.stock} kind="bar" />
      <ChartCanvas
        title={t("charts.errorRate")}
        labels={labels}
        values={series.errorRate}
        kind="line"
        percent
      />
    </div>
  );
}
