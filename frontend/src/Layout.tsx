import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Suspense } from "react";
import { useTranslation } from "react-i18next";
import { NavLink, Outlet, useNavigate } from "react-router";
import { api, unwrap } from "./api/client";
import { useMe } from "./api/queries";
import { Loading } from "./components/ui";
import { LANGUAGES } from "./i18n";

export function LanguageSwitcher() {
  const { t, i18n } = useTranslation();
  const current = i18n.resolvedLanguage === "cs" ? "cs" : "en";
  return (
    <label className="lang">
      <span className="sr-only">{t("nav.language")}</span>
      <select
        value={current}
        onChange={(e) => void i18n.changeLanguage(e.target.value)}
        aria-label={t("nav.language")}
        data-testid="language"
      >
        {LANGUAGES.map((l) => (
          <option key={l.code} value={l.code} lang={l.code}>
            {l.label}
          </option>
        ))}
      </select>
    </label>
  );
}

export function Layout() {
  const { t } = useTranslation();
  const me = useMe();
  const client = useQueryClient();
  const navigate = useNavigate();
  const logout = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/auth/logout")),
    onSettled: () => {
      client.clear();
      client.setQueryData(["me"], null);
      navigate("/login", { replace: true, state: { loggedOut: true } });
    },
  });
  const switchTenant = useMutation({
    mutationFn: (tenantId: string) => unwrap(api.POST("/api/v1/auth/switch-tenant", { body: { tenantId } })),
    onSuccess: async () => {
      client.clear();
      navigate("/", { replace: true });
      await client.invalidateQueries();
    },
  });
  return (
    <div className="app">
      <a href="#main" className="skip">
        {t("app.skip")}
      </a>
      <header className="topbar">
        <NavLink to="/" className="brand">
          {t("app.name")}
        </NavLink>
        <nav aria-label={t("nav.main")}>
          <NavLink to="/" end>
            {t("nav.dashboard")}
          </NavLink>
          <NavLink to="/connections">{t("nav.connections")}</NavLink>
          <NavLink to="/team">{t("nav.team")}</NavLink>
          <NavLink to="/audit">{t("nav.audit")}</NavLink>
          <NavLink to="/company">{t("nav.settings")}</NavLink>
        </nav>
        <div className="topbar-end">
          {me.data && me.data.tenants.length > 1 ? (
            <select
              aria-label={t("nav.company")}
              value={me.data.tenant.id}
              onChange={(e) => switchTenant.mutate(e.target.value)}
            >
              {me.data.tenants.map((tenant) => (
                <option key={tenant.id} value={tenant.id}>
                  {tenant.name}
                </option>
              ))}
            </select>
          ) : (
            <span className="muted" title={me.data?.user.email}>
              {me.data?.tenant.name}
            </span>
          )}
          <LanguageSwitcher />
          <button type="button" onClick={() => logout.mutate()}>
            {t("nav.logout")}
          </button>
        </div>
      </header>
      <main id="main" className="content" tabIndex={-1}>
        <Suspense fallback={<Loading />}>
          <Outlet />
        </Suspense>
      </main>
    </div>
  );
}
