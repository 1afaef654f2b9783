import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useForm } from "react-hook-form";
import { useTranslation } from "react-i18next";
import { Link, useLocation, useNavigate } from "react-router";
import { api, unwrap } from "../api/client";
import { fieldErrors } from "../api/problems";
import { keys } from "../api/queries";
import { ErrorBox, Field, Notice } from "../components/ui";
import { LanguageSwitcher } from "../Layout";
import { clearSessionExpired } from "../session";

function AuthFrame({ title, children }: { title: string; children: React.ReactNode }) {
  const { t } = useTranslation();
  return (
    <div className="auth">
      <header className="auth-header">
        <span className="brand">{t("app.name")}</span>
        <LanguageSwitcher />
      </header>
      <main id="main" className="auth-card">
        <p className="muted">{t("app.tagline")}</p>
        <h1>{title}</h1>
        {children}
      </main>
    </div>
  );
}

// The server explains its password rules in English; these are its sentences in Czech.
const RULES_CS: Record<string, string> = {
  "Not one of the 30,000 most common passwords.": "Nesmí být mezi 30 000 nejběžnějšími hesly.",
  "Not containing your e-mail address.": "Nesmí obsahovat vaši e-mailovou adresu.",
};

export function PasswordRules() {
  const { t, i18n } = useTranslation();
  const rules = useQuery({
    queryKey: ["password-rules"],
    queryFn: () => unwrap(api.GET("/api/v1/auth/password-rules")),
    staleTime: Number.POSITIVE_INFINITY,
  });
  if (!rules.data) return null;
  const cs = i18n.resolvedLanguage === "cs";
  const extra = rules.data.rules.filter((r) => !/characters/.test(r));
  return (
    <div className="hint" id="password-rules">
      {t("auth.passwordRules")}
      <ul>
        <li>{t("auth.minLength", { count: rules.data.minLength })}</li>
        <li>{t("auth.maxLength", { count: rules.data.maxLength })}</li>
        {extra.map((r) => (
          <li key={r}>{cs ? (RULES_CS[r] ?? r) : r}</li>
        ))}
      </ul>
    </div>
  );
}

interface LoginValues {
  email: string;
  password: string;
}

export function LoginPage() {
  const { t } = useTranslation();
  const location = useLocation();
  const client = useQueryClient();
  const state = (location.state ?? {}) as { expired?: boolean; loggedOut?: boolean; from?: string };
  const { register, handleSubmit, formState } = useForm<LoginValues>();
  const login = useMutation({
    mutationFn: (body: LoginValues) => unwrap(api.POST("/api/v1/auth/login", { body })),
    onSuccess: async () => {
      clearSessionExpired();
      await client.invalidateQueries({ queryKey: keys.me });
    },
  });
  return (
    <AuthFrame title={t("auth.loginTitle")}>
      {state.expired ? <Notice tone="info">{t("auth.expired")}</Notice> : null}
      {state.loggedOut ? <Notice tone="success">{t("auth.loggedOut")}</Notice> : null}
      <form onSubmit={handleSubmit((v) => login.mutate(v))} noValidate>
        <Field label={t("auth.email")} error={formState.errors.email?.message}>
          {(p) => (
            <input
              type="email"
              autoComplete="email"
              {...p}
              {...register("email", { required: t("common.required") })}
            />
          )}
        </Field>
        <Field label={t("auth.password")} error={formState.errors.password?.message}>
          {(p) => (
            <input
              type="password"
              autoComplete="current-password"
              {...p}
              {...register("password", { required: t("common.required") })}
            />
          )}
        </Field>
        <ErrorBox error={login.error} />
        <button type="submit" className="primary" disabled={login.isPending}>
          {t("auth.login")}
        </button>
      </form>
      <p>
        {t("auth.noAccount")} <Link to="/signup">{t("auth.toSignup")}</Link>
      </p>
    </AuthFrame>
  );
}

interface SignupValues {
  companyName: string;
  email: string;
  password: string;
}

export function SignupPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const client = useQueryClient();
  const { register, handleSubmit, formState } = useForm<SignupValues>();
  const signup = useMutation({
    mutationFn: (body: SignupValues) => unwrap(api.POST("/api/v1/auth/signup", { body })),
    onSuccess: async () => {
      // A new merchant starts with the wizard.
      navigate("/onboarding", { replace: true, state: { from: "/onboarding" } });
      await client.invalidateQueries({ queryKey: keys.me });
    },
  });
  const server = fieldErrors(signup.error);
  return (
    <AuthFrame title={t("auth.signupTitle")}>
      <form onSubmit={handleSubmit((v) => signup.mutate(v))} noValidate>
        <Field label={t("auth.company")} error={formState.errors.companyName?.message ?? server.companyName}>
          {(p) => (
            <input
              autoComplete="organization"
              {...p}
              {...register("companyName", { required: t("common.required") })}
            />
          )}
        </Field>
        <Field label={t("auth.email")} error={formState.errors.email?.message ?? server.email}>
          {(p) => (
            <input
              type="email"
              autoComplete="email"
              {...p}
              {...register("email", { required: t("common.required") })}
            />
          )}
        </Field>
        <Field label={t("auth.password")} error={formState.errors.password?.message ?? server.password}>
          {(p) => (
            <input
              type="password"
              autoComplete="new-password"
              {...p}
              aria-describedby={[p["aria-describedby"], "password-rules"].filter(Boolean).join(" ")}
              {...register("password", { required: t("common.required") })}
            />
          )}
        </Field>
        <PasswordRules />
        <ErrorBox error={signup.error} />
        <button type="submit" className="primary" disabled={signup.isPending}>
          {t("auth.signup")}
        </button>
      </form>
      <p>
        {t("auth.haveAccount")} <Link to="/login">{t("auth.toLogin")}</Link>
      </p>
    </AuthFrame>
  );
}

export function AcceptInvitePage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const client = useQueryClient();
  const location = useLocation();
  const token = location.hash.replace(/^#/, "");
  const { register, handleSubmit, formState } = useForm<{ password: string }>();
  const accept = useMutation({
    mutationFn: (password: string) =>
      unwrap(api.POST("/api/v1/invitations/accept", { body: { token, password } })),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: keys.me });
      navigate("/", { replace: true });
    },
  });
  return (
    <AuthFrame title={t("auth.inviteTitle")}>
      {token ? (
        <form onSubmit={handleSubmit((v) => accept.mutate(v.password))} noValidate>
          <p>{t("auth.inviteIntro")}</p>
          <Field label={t("auth.password")} error={formState.errors.password?.message}>
            {(p) => (
              <input
                type="password"
                autoComplete="new-password"
                {...p}
                {...register("password", { required: t("common.required") })}
              />
            )}
          </Field>
          <PasswordRules />
          <ErrorBox error={accept.error} />
          <button type="submit" className="primary" disabled={accept.isPending}>
            {t("auth.inviteAccept")}
          </button>
        </form>
      ) : (
        <Notice tone="error">{t("auth.inviteMissing")}</Notice>
      )}
    </AuthFrame>
  );
}
