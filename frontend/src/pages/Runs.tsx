import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { Link as RouterLink, useParams, useSearchParams } from "react-router";
import { api, FLOW_NAMES, type FlowName, unwrap } from "../api/client";
import { keys } from "../api/queries";
import { Badge, ErrorBox, Loading, Pager, StatusBadge, statusTone } from "../components/ui";
import { formatDateTime, formatDuration, formatNumber } from "../i18n/format";

const TRIGGERS = ["manual", "schedule", "webhook", "after:orders"];
const OUTCOMES = ["queued", "running", "succeeded", "partial", "failed"];
const PAGE = 50;

export const triggerKey = (trigger: string) => `trigger.${trigger.replace(":", "_")}`;

export function RunHistoryPage() {
  const { t } = useTranslation();
  const { linkId = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const flow = (params.get("flow") || null) as FlowName | null;
  const trigger = params.get("trigger") || "";
  const outcome = params.get("outcome") || "";
  const offset = Number(params.get("offset") ?? 0) || 0;
  const link = useQuery({
    queryKey: keys.link(linkId),
    queryFn: () => unwrap(api.GET("/api/v1/links/{link_id}", { params: { path: { link_id: linkId } } })),
  });
  // Trigger and outcome are filtered here over a larger page; flow is filtered by the API.
  const filtered = Boolean(trigger || outcome);
  const runs = useQuery({
    queryKey: keys.runs(linkId, flow, filtered ? 0 : offset, filtered ? 200 : PAGE),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/links/{link_id}/runs", {
          params: {
            path: { link_id: linkId },
            query: { flow, limit: filtered ? 200 : PAGE, offset: filtered ? 0 : offset },
          },
        }),
      ),
    refetchInterval: (q) =>
      q.state.data?.items.some((r) => r.status === "queued" || r.status === "running") ? 1500 : false,
  });
  const set = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    if (key !== "offset") next.delete("offset");
    setParams(next, { replace: true });
  };
  const items = (runs.data?.items ?? []).filter(
    (r) => (!trigger || r.trigger === trigger) && (!outcome || r.status === outcome),
  );
  return (
    <div>
      <p>
        <RouterLink to="/">← {t("runs.backToDashboard")}</RouterLink>
      </p>
      <h1>
        {t("runs.title")}
        {link.data ? `: ${link.data.name}` : ""}
      </h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          {t("runs.filterFlow")}
          <select value={flow ?? ""} onChange={(e) => set("flow", e.target.value)}>
            <option value="">{t("common.all")}</option>
            {FLOW_NAMES.map((f) => (
              <option key={f} value={f}>
                {t(`flows.${f}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("runs.filterTrigger")}
          <select value={trigger} onChange={(e) => set("trigger", e.target.value)}>
            <option value="">{t("common.all")}</option>
            {TRIGGERS.map((x) => (
              <option key={x} value={x}>
                {t(triggerKey(x))}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("runs.filterOutcome")}
          <select value={outcome} onChange={(e) => set("outcome", e.target.value)}>
            <option value="">{t("common.all")}</option>
            {OUTCOMES.map((x) => (
              <option key={x} value={x}>
                {t(`status.${x}`)}
              </option>
            ))}
          </select>
        </label>
      </form>
      <ErrorBox error={runs.error ?? link.error} />
      {runs.isPending ? <Loading /> : null}
      {runs.data && items.length === 0 ? <p className="muted">{t("runs.empty")}</p> : null}
      {items.length ? (
        <table className="table" data-testid="runs-table">
          <thead>
            <tr>
              <th scope="col">{t("runs.queuedAt")}</th>
              <th scope="col">{t("dashboard.flow")}</th>
              <th scope="col">{t("runs.trigger")}</th>
              <th scope="col">{t("runs.outcome")}</th>
              <th scope="col" className="num">
                {t("runs.created")}
              </th>
              <th scope="col" className="num">
                {t("runs.updated")}
              </th>
              <th scope="col" className="num">
                {t("runs.skipped")}
              </th>
              <th scope="col" className="num">
                {t("runs.failed")}
              </th>
              <th scope="col">{t("runs.duration")}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((r) => (
              <tr key={r.id}>
                <td>
                  <RouterLink to={`/runs/${r.id}`}>{formatDateTime(r.queuedAt)}</RouterLink>
                </td>
                <td>{t(`flows.${r.flow}`)}</td>
                <td>{t(triggerKey(r.trigger), { defaultValue: r.trigger })}</td>
                <td>
                  <StatusBadge status={r.status} />
                </td>
                <td className="num">{formatNumber(r.counts.created)}</td>
                <td className="num">{formatNumber(r.counts.updated)}</td>
                <td className="num">{formatNumber(r.counts.skipped)}</td>
                <td className="num">{formatNumber(r.counts.failed)}</td>
                <td>{formatDuration(r.startedAt, r.finishedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {runs.data && !filtered ? (
        <Pager
          total={runs.data.total}
          limit={PAGE}
          offset={offset}
          onChange={(o) => set("offset", String(o))}
        />
      ) : null}
    </div>
  );
}

export function RunPage() {
  const { t } = useTranslation();
  const { runId = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const offset = Number(params.get("offset") ?? 0) || 0;
  const run = useQuery({
    queryKey: keys.run(runId),
    queryFn: () => unwrap(api.GET("/api/v1/runs/{run_id}", { params: { path: { run_id: runId } } })),
    refetchInterval: (q) =>
      q.state.data && ["queued", "running"].includes(q.state.data.status) ? 1500 : false,
  });
  const active = run.data ? ["queued", "running"].includes(run.data.status) : false;
  const events = useQuery({
    queryKey: [...keys.events(runId, offset), run.data?.status],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/runs/{run_id}/events", {
          params: { path: { run_id: runId }, query: { limit: PAGE, offset } },
        }),
      ),
    refetchInterval: active ? 1500 : false,
  });
  if (run.isPending) return <Loading />;
  if (!run.data) return <ErrorBox error={run.error} />;
  const r = run.data;
  return (
    <div>
      <p>
        <RouterLink to={`/links/${r.linkId}/runs`}>← {t("runs.title")}</RouterLink>
      </p>
      <h1>
        {t("runs.runTitle", { flow: t(`flows.${r.flow}`) })} <StatusBadge status={r.status} />
      </h1>
      <dl className="summary">
        <dt>{t("runs.trigger")}</dt>
        <dd>{t(triggerKey(r.trigger), { defaultValue: r.trigger })}</dd>
        <dt>{t("runs.queuedAt")}</dt>
        <dd>{formatDateTime(r.queuedAt)}</dd>
        <dt>{t("runs.started")}</dt>
        <dd>{formatDateTime(r.startedAt)}</dd>
        <dt>{t("runs.finished")}</dt>
        <dd>{formatDateTime(r.finishedAt)}</dd>
        <dt>{t("runs.duration")}</dt>
        <dd>{formatDuration(r.startedAt, r.finishedAt)}</dd>
        <dt>{t("runs.counts")}</dt>
        <dd data-testid="run-counts">
          {t("dashboard.counts", {
            created: formatNumber(r.counts.created),
            updated: formatNumber(r.counts.updated),
            skipped: formatNumber(r.counts.skipped),
            failed: formatNumber(r.counts.failed),
          })}
        </dd>
        {r.error ? (
          <>
            <dt>{t("runs.error")}</dt>
            <dd className="bad">{r.error}</dd>
          </>
        ) : null}
      </dl>
      <h2>{t("runs.events")}</h2>
      <ErrorBox error={events.error} />
      {events.data && events.data.items.length === 0 ? <p className="muted">{t("runs.noEvents")}</p> : null}
      {events.data?.items.length ? (
        <table className="table" data-testid="events-table">
          <thead>
            <tr>
              <th scope="col">{t("runs.record")}</th>
              <th scope="col">{t("runs.source")}</th>
              <th scope="col">{t("runs.target")}</th>
              <th scope="col">{t("runs.action")}</th>
              <th scope="col">{t("runs.outcome")}</th>
              <th scope="col">{t("runs.message")}</th>
            </tr>
          </thead>
          <tbody>
            {events.data.items.map((e) => (
              <tr key={e.id}>
                <td>
                  {e.label ?? "—"} <span className="muted">({e.entity})</span>
                </td>
                <td>
                  <code>{e.sourceId ?? "—"}</code>
                </td>
                <td>
                  <code>{e.targetId ?? "—"}</code>
                </td>
                <td>{e.action}</td>
                <td>
                  <Badge tone={statusTone(e.outcome)}>
                    {t(`runs.${e.outcome}`, { defaultValue: e.outcome })}
                  </Badge>
                </td>
                <td>{e.message ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {events.data ? (
        <Pager
          total={events.data.total}
          limit={PAGE}
          offset={offset}
          onChange={(o) => setParams(new URLSearchParams({ offset: String(o) }), { replace: true })}
        />
      ) : null}
    </div>
  );
}
