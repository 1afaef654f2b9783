import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { useTranslation } from "react-i18next";
import { api, type Connection, unwrap } from "../api/client";
import { keys, useConnections, useConnectors, useMe } from "../api/queries";
import { CheckAnswer, ConnectionForm } from "../components/ConnectionForm";
import { ErrorBox, Field, Loading, Notice, Pager } from "../components/ui";
import { formatDateTime } from "../i18n/format";

function ConnectionItem({ connection }: { connection: Connection }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const connectors = useConnectors();
  const [editing, setEditing] = useState(false);
  const connector = connectors.data?.items.find((c) => c.key === connection.connector);
  const check = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/v1/connections/{connection_id}/check", {
          params: { path: { connection_id: connection.id } },
        }),
      ),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.connections }),
  });
  const remove = useMutation({
    mutationFn: () =>
      unwrap(
        api.DELETE("/api/v1/connections/{connection_id}", {
          params: { path: { connection_id: connection.id } },
        }),
      ),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.connections }),
  });
  return (
    <li className="card" data-testid="connection">
      <header className="card-header">
        <div>
          <h2>{connection.name}</h2>
          <p className="muted">
            {connector?.title ?? connection.connector}
            {connection.kind
              ? ` · ${t(`connections.kind.${connection.kind}`, { defaultValue: connection.kind })}`
              : ""}
            {" · "}
            {t("connections.lastCheck")}:{" "}
            {connection.lastCheck
              ? formatDateTime(connection.lastCheck.checkedAt)
              : t("connections.neverChecked")}
          </p>
        </div>
        <div className="actions">
          <button type="button" onClick={() => check.mutate()} disabled={check.isPending}>
            {t("wizard.recheck")}
          </button>
          <button type="button" onClick={() => setEditing(!editing)} aria-expanded={editing}>
            {t("common.edit")}
          </button>
          <button
            type="button"
            className="danger"
            onClick={() => {
              if (window.confirm(t("common.confirmDelete", { name: connection.name }))) remove.mutate();
            }}
          >
            {t("common.delete")}
          </button>
        </div>
      </header>
      {check.isPending ? (
        <Notice>{t("wizard.checking")}</Notice>
      ) : (
        <CheckAnswer check={check.data ?? connection.lastCheck} />
      )}
      <ErrorBox error={check.error ?? remove.error} />
      {connection.webhooks ? (
        <Notice tone={connection.webhooks.ok ? "success" : "error"}>
          {connection.webhooks.ok
            ? t("connections.webhooksOn", { at: formatDateTime(connection.webhooks.registeredAt) })
            : t("connections.webhooksOff", {
                at: formatDateTime(connection.webhooks.registeredAt),
                message: connection.webhooks.message,
              })}
        </Notice>
      ) : null}
      {connection.webhookUrl ? (
        <p className="hint">
          {t("connections.webhookUrl")}: <code>{connection.webhookUrl}</code>
        </p>
      ) : null}
      {editing && connector ? (
        <ConnectionForm connector={connector} connection={connection} submitLabel={t("common.save")} />
      ) : null}
    </li>
  );
}

export function ConnectionsPage() {
  const { t } = useTranslation();
  const connections = useConnections();
  if (connections.isPending) return <Loading />;
  const items = connections.data?.items ?? [];
  return (
    <div>
      <h1>{t("connections.title")}</h1>
      <ErrorBox error={connections.error} />
      {items.length === 0 ? <p className="muted">{t("connections.empty")}</p> : null}
      <ul className="plain">
        {items.map((c) => (
          <ConnectionItem key={c.id} connection={c} />
        ))}
      </ul>
    </div>
  );
}

const ROLES = ["owner", "admin", "viewer"] as const;
type Role = (typeof ROLES)[number];

export function TeamPage() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const me = useMe();
  const members = useQuery({
    queryKey: keys.members,
    queryFn: () => unwrap(api.GET("/api/v1/members")),
  });
  const invitations = useQuery({
    queryKey: keys.invitations,
    queryFn: () => unwrap(api.GET("/api/v1/invitations")),
  });
  const refresh = () => {
    void client.invalidateQueries({ queryKey: keys.members });
    void client.invalidateQueries({ queryKey: keys.invitations });
  };
  const update = useMutation({
    mutationFn: ({ id, role }: { id: string; role: Role }) =>
      unwrap(api.PATCH("/api/v1/members/{user_id}", { params: { path: { user_id: id } }, body: { role } })),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: (id: string) =>
      unwrap(api.DELETE("/api/v1/members/{user_id}", { params: { path: { user_id: id } } })),
    onSuccess: refresh,
  });
  const revoke = useMutation({
    mutationFn: (id: string) =>
      unwrap(api.DELETE("/api/v1/invitations/{invitation_id}", { params: { path: { invitation_id: id } } })),
    onSuccess: refresh,
  });
  const form = useForm<{ email: string; role: Role }>({ defaultValues: { email: "", role: "admin" } });
  const invite = useMutation({
    mutationFn: (body: { email: string; role: Role }) => unwrap(api.POST("/api/v1/invitations", { body })),
    onSuccess: () => {
      form.reset();
      refresh();
    },
  });
  const acceptUrl = invite.data ? new URL(invite.data.acceptUrl, window.location.origin).toString() : null;
  return (
    <div>
      <h1>{t("team.title")}</h1>
      <ErrorBox error={members.error ?? update.error ?? remove.error ?? revoke.error} />
      <h2>{t("team.members")}</h2>
      <table className="table">
        <thead>
          <tr>
            <th scope="col">{t("auth.email")}</th>
            <th scope="col">{t("team.role")}</th>
            <th scope="col">{t("team.joined")}</th>
            <th scope="col">
              <span className="sr-only">{t("team.remove")}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(members.data?.items ?? []).map((m) => (
            <tr key={m.userId}>
              <td>{m.email}</td>
              <td>
                <select
                  aria-label={`${t("team.role")}: ${m.email}`}
                  value={m.role}
                  disabled={m.userId === me.data?.user.id}
                  onChange={(e) => update.mutate({ id: m.userId, role: e.target.value as Role })}
                >
                  {ROLES.map((r) => (
                    <option key={r} value={r}>
                      {t(`team.roles.${r}`)}
                    </option>
                  ))}
                </select>
              </td>
              <td>{formatDateTime(m.joinedAt)}</td>
              <td>
                {m.userId !== me.data?.user.id ? (
                  <button
                    type="button"
                    className="danger"
                    onClick={() => {
                      if (window.confirm(t("common.confirmDelete", { name: m.email })))
                        remove.mutate(m.userId);
                    }}
                  >
                    {t("team.remove")}
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>{t("team.invite")}</h2>
      <form className="inline-form" onSubmit={form.handleSubmit((v) => invite.mutate(v))} noValidate>
        <Field label={t("auth.email")} error={form.formState.errors.email?.message}>
          {(p) => (
            <input type="email" {...p} {...form.register("email", { required: t("common.required") })} />
          )}
        </Field>
        <Field label={t("team.role")}>
          {(p) => (
            <select {...p} {...form.register("role")}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {t(`team.roles.${r}`)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <button type="submit" className="primary" disabled={invite.isPending}>
          {t("team.inviteSend")}
        </button>
      </form>
      <ErrorBox error={invite.error} />
      {invite.data && acceptUrl ? (
        <Notice tone="success">
          {t("team.inviteCreated", { email: invite.data.email })} <code>{acceptUrl}</code>
        </Notice>
      ) : null}
      {invitations.data?.items.length ? (
        <>
          <h2>{t("team.invitations")}</h2>
          <ul className="plain">
            {invitations.data.items.map((i) => (
              <li key={i.id}>
                {i.email} · {t(`team.roles.${i.role}`, { defaultValue: i.role })} · {t("team.expires")}{" "}
                {formatDateTime(i.expiresAt)}{" "}
                <button type="button" onClick={() => revoke.mutate(i.id)}>
                  {t("team.revoke")}
                </button>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </div>
  );
}

export function AuditPage() {
  const { t } = useTranslation();
  const [offset, setOffset] = useState(0);
  const audit = useQuery({
    queryKey: keys.audit(offset),
    queryFn: () => unwrap(api.GET("/api/v1/audit", { params: { query: { limit: 50, offset } } })),
  });
  return (
    <div>
      <h1>{t("audit.title")}</h1>
      <ErrorBox error={audit.error} />
      {audit.isPending ? <Loading /> : null}
      {audit.data && audit.data.items.length === 0 ? <p className="muted">{t("audit.empty")}</p> : null}
      {audit.data?.items.length ? (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">{t("audit.at")}</th>
              <th scope="col">{t("audit.actor")}</th>
              <th scope="col">{t("audit.action")}</th>
              <th scope="col">{t("audit.target")}</th>
            </tr>
          </thead>
          <tbody>
            {audit.data.items.map((a) => (
              <tr key={a.id}>
                <td>{formatDateTime(a.at)}</td>
                <td>{a.actorLabel ?? a.actorType}</td>
                <td>
                  <code>{a.action}</code>
                </td>
                <td>{a.targetType}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {audit.data ? <Pager total={audit.data.total} limit={50} offset={offset} onChange={setOffset} /> : null}
    </div>
  );
}

export function CompanyPage() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const tenant = useQuery({ queryKey: keys.tenant, queryFn: () => unwrap(api.GET("/api/v1/tenant")) });
  const form = useForm<{ name: string }>({ values: { name: tenant.data?.name ?? "" } });
  const save = useMutation({
    mutationFn: (body: { name: string }) => unwrap(api.PATCH("/api/v1/tenant", { body })),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: keys.tenant });
      void client.invalidateQueries({ queryKey: keys.me });
    },
  });
  return (
    <div>
      <h1>{t("company.title")}</h1>
      <ErrorBox error={tenant.error} />
      <form className="card narrow" onSubmit={form.handleSubmit((v) => save.mutate(v))} noValidate>
        <Field label={t("company.name")} error={form.formState.errors.name?.message}>
          {(p) => <input {...p} {...form.register("name", { required: t("common.required") })} />}
        </Field>
        <ErrorBox error={save.error} />
        {save.isSuccess ? <Notice tone="success">{t("company.saved")}</Notice> : null}
        <button type="submit" className="primary" disabled={save.isPending}>
          {t("common.save")}
        </button>
      </form>
    </div>
  );
}
