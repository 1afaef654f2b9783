import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { lazy, Suspense, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link as RouterLink, useLocation } from "react-router";
import { api, type FlowStatus, type Link, type Run, type Schemas, unwrap } from "../api/client";
import { keys, useConnections, useLinks } from "../api/queries";
import { Badge, ErrorBox, Loading, Notice, StatusBadge, statusTone } from "../components/ui";
import { formatDateTime, formatNumber, formatRelative } from "../i18n/format";

// Charts load on demand: Chart.js stays out of the first page's bundle.
const LinkCharts = lazy(() => import("../components/LinkCharts"));

const ACTIVE = new Set(["queued", "running"]);

export function useLinkStatus(linkId: string) {
  return useQuery({
    queryKey: ["status", linkId],
    queryFn: () =>
      unwrap(api.GET("/api/v1/links/{link_id}/status", { params: { path: { link_id: linkId } } })),
    // Live updates: poll quickly while a run is queued or running, slowly otherwise.
    refetchInterval: (query) =>
      query.state.data?.flows.some(
        (f) => f.state === "running" || (f.lastRun && ACTIVE.has(f.lastRun.status)),
      )
        ? 1500
        : 10_000,
  });
}

function RunErrors({ run }: { run: Run }) {
  const { t } = useTranslation();
  const events = useQuery({
    queryKey: ["failed-events", run.id],
    enabled: run.counts.failed > 0,
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/runs/{run_id}/events", {
          params: { path: { run_id: run.id }, query: { limit: 200 } },
        }),
      ),
  });
  const failed = (events.data?.items ?? []).filter((e) => e.outcome === "failed").slice(0, 5);
  return (
    <>
      {run.error ? (
        <li>
          <RouterLink to={`/runs/${run.id}`}>{t(`flows.${run.flow}`)}</RouterLink>{" "}
          <span className="muted">{formatDateTime(run.queuedAt)}</span>: {run.error}
        </li>
      ) : null}
      {failed.map((e) => (
        <li key={e.id}>
          <RouterLink to={`/runs/${run.id}`}>{e.label ?? e.sourceId ?? e.entity}</RouterLink>: {e.message}
        </li>
      ))}
    </>
  );
}

function NewestErrors({ flows }: { flows: FlowStatus[] }) {
  const { t } = useTranslation();
  const failing = flows.filter(
    (f) => f.lastRun && (f.lastRun.counts.failed > 0 || f.lastRun.status === "failed"),
  );
  if (!failing.length) return null;
  return (
    <div className="errors">
      <h3>{t("dashboard.newestErrors")}</h3>
      <ul className="plain">
        {failing.map((f) => (f.lastRun ? <RunErrors key={f.flow} run={f.lastRun} /> : null))}
      </ul>
    </div>
  );
}

function FlowRow({ link, flow }: { link: Link; flow: FlowStatus }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const flowName = t(`flows.${flow.flow}`);
  const run = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/v1/links/{link_id}/runs", {
          params: { path: { link_id: link.id } },
          body: { flow: flow.flow as Schemas["RunRequest"]["flow"] },
        }),
      ),
    onSuccess: () => client.invalidateQueries({ queryKey: ["status", link.id] }),
  });
  const last = flow.lastRun;
  const day = flow.lastDay;
  return (
    <tr data-testid={`flow-${flow.flow}`}>
      <th scope="row">{flowName}</th>
      <td>
        <Badge tone={statusTone(flow.state)}>{t(`state.${flow.state}`, { defaultValue: flow.state })}</Badge>
      </td>
      <td>
        {last ? (
          <>
            <RouterLink to={`/runs/${last.id}`}>
              <time dateTime={last.queuedAt} title={formatDateTime(last.queuedAt)}>
                {formatRelative(last.finishedAt ?? last.startedAt ?? last.queuedAt)}
              </time>
            </RouterLink>{" "}
            <StatusBadge status={last.status} />
          </>
        ) : (
          <span className="muted">{t("dashboard.never")}</span>
        )}
      </td>
      <td>
        {flow.nextRunAt ? (
          <time dateTime={flow.nextRunAt} title={formatDateTime(flow.nextRunAt)}>
            {new Date(flow.nextRunAt) <= new Date() ? t("dashboard.soon") : formatRelative(flow.nextRunAt)}
          </time>
        ) : (
          "—"
        )}
      </td>
      <td className="num">
        <span
          title={t("dashboard.counts", {
            created: formatNumber(day.created),
            updated: formatNumber(day.updated),
            skipped: formatNumber(day.skipped),
            failed: formatNumber(day.failed),
          })}
        >
          {formatNumber(day.created + day.updated)}
          {day.failed ? <span className="bad"> / {formatNumber(day.failed)} ✕</span> : null}
        </span>
      </td>
      <td>
        <button
          type="button"
          onClick={() => run.mutate()}
          disabled={!flow.enabled || link.paused || run.isPending}
          aria-label={t("dashboard.runNowLabel", { flow: flowName })}
        >
          {t("dashboard.runNow")}
        </button>
        {run.error ? <ErrorBox error={run.error} /> : null}
      </td>
    </tr>
  );
}

export function LinkCard({ link, names }: { link: Link; names: Map<string, string> }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const status = useLinkStatus(link.id);
  const [charts, setCharts] = useState(false);
  const flows = (status.data?.flows ?? []).filter((f) => f.enabled);
  const live = flows.some((f) => f.state === "running");
  const toggle = useMutation({
    mutationFn: () =>
      unwrap(
        api.PATCH("/api/v1/links/{link_id}", {
          params: { path: { link_id: link.id } },
          body: { paused: !link.paused },
        }),
      ),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: keys.links });
      void client.invalidateQueries({ queryKey: ["status", link.id] });
    },
  });
  return (
    <section className="card link-card" aria-labelledby={`link-${link.id}`} data-testid="link-card">
      <header className="card-header">
        <div>
          <h2 id={`link-${link.id}`}>{link.name}</h2>
          <p className="muted">
            {names.get(link.eshopConnectionId) ?? t("dashboard.shop")} →{" "}
            {names.get(link.accountingConnectionId) ?? t("dashboard.accounting")}
          </p>
        </div>
        <div className="actions">
          {link.paused ? <Badge tone="warn">{t("dashboard.paused")}</Badge> : null}
          {live ? (
            <span className="live" role="status">
              {t("dashboard.live")}
            </span>
          ) : null}
          <button type="button" onClick={() => toggle.mutate()} disabled={toggle.isPending}>
            {link.paused ? t("dashboard.resume") : t("dashboard.pause")}
          </button>
          <button type="button" onClick={() => setCharts(!charts)} aria-expanded={charts}>
            {t("charts.show")}
          </button>
          <RouterLink to={`/links/${link.id}/runs`} className="button">
            {t("dashboard.history")}
          </RouterLink>
          <RouterLink
            to={`/links/${link.id}/edit`}
            className="button"
            aria-label={`${t("links.edit")}: ${link.name}`}
          >
            {t("links.edit")}
          </RouterLink>
        </div>
      </header>
      <ErrorBox error={status.error ?? toggle.error} />
      {status.isPending ? <Loading /> : null}
      {flows.length ? (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">{t("dashboard.flow")}</th>
              <th scope="col">{t("dashboard.state")}</th>
              <th scope="col">{t("dashboard.lastRun")}</th>
              <th scope="col">{t("dashboard.nextRun")}</th>
              <th scope="col" className="num">
                {t("dashboard.lastDay")}
              </th>
              <th scope="col">
                <span className="sr-only">{t("dashboard.runNow")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {flows.map((f) => (
              <FlowRow key={f.flow} link={link} flow={f} />
            ))}
          </tbody>
        </table>
      ) : null}
      <NewestErrors flows={flows} />
      {charts ? (
        <Suspense fallback={<Loading />}>
          <LinkCharts linkId={link.id} />
        </Suspense>
      ) : null}
    </section>
  );
}

export function DashboardPage() {
  const { t } = useTranslation();
  const location = useLocation();
  const links = useLinks();
  const connections = useConnections();
  const names = new Map((connections.data?.items ?? []).map((c) => [c.id, c.name]));
  if (links.isPending) return <Loading />;
  const items = links.data?.items ?? [];
  return (
    <div>
      <div className="page-header">
        <h1>{t("dashboard.title")}</h1>
        <RouterLink to="/onboarding" className="button">
          {t("nav.newLink")}
        </RouterLink>
      </div>
      {(location.state as { created?: boolean } | null)?.created ? (
        <Notice tone="success">{t("wizard.created")}</Notice>
      ) : null}
      <ErrorBox error={links.error} />
      {items.length === 0 && !links.error ? (
        <div className="card empty">
          <h2>{t("dashboard.empty")}</h2>
          <p>{t("dashboard.emptyHint")}</p>
          <RouterLink to="/onboarding" className="button primary">
            {t("dashboard.start")}
          </RouterLink>
        </div>
      ) : null}
      {items.map((link) => (
        <LinkCard key={link.id} link={link} names={names} />
      ))}
    </div>
  );
}
