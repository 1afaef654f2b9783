import { act, cleanup, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import i18n from "../i18n";
import { json, mockApi, renderWithProviders, setCsrfCookie } from "../test/render";
import { AcceptInvitePage, LoginPage, SignupPage } from "./Auth";

const rules = {
  minLength: 10,
  maxLength: 200,
  rules: ["At least 10 characters.", "Not containing your e-mail address."],
};

afterEach(async () => {
  cleanup();
  vi.unstubAllGlobals();
  await i18n.changeLanguage("en");
  setCsrfCookie(null);
});

describe("signup", () => {
  it("explains the password rules before submit and shows the server's refusal in plain words", async () => {
    setCsrfCookie("tok123");
    const calls = mockApi({
      "GET /api/v1/auth/password-rules": () => json(200, rules),
      "POST /api/v1/auth/signup": () =>
        json(422, {
          status: 422,
          title: "Unprocessable content",
          detail: "The password is not strong enough: Use at least 10 characters.",
          password: ["Use at least 10 characters."],
        }),
    });
    renderWithProviders(<SignupPage />);
    expect(await screen.findByText("have at least 10 characters")).toBeInTheDocument();
    expect(screen.getByText("Not containing your e-mail address.")).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText("Company name"), "Bylinky s.r.o.");
    await userEvent.type(screen.getByLabelText("E-mail"), "jana@bylinky.cz");
    await userEvent.type(screen.getByLabelText("Password"), "short");
    await userEvent.click(screen.getByRole("button", { name: "Create account" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("The password is not strong enough");
    expect(screen.getByLabelText("Password")).toHaveAccessibleDescription(/Use at least 10 characters\./);
    const post = calls.find((c) => c.method === "POST");
    expect(post?.body).toEqual({
      companyName: "Bylinky s.r.o.",
      email: "jana@bylinky.cz",
      password: "short",
    });
    expect(post?.headers.get("X-CSRFToken")).toBe("tok123");
  });

  it("asks for every field before sending anything", async () => {
    const calls = mockApi({ "GET /api/v1/auth/password-rules": () => json(200, rules) });
    renderWithProviders(<SignupPage />);
    await userEvent.click(screen.getByRole("button", { name: "Create account" }));
    expect(await screen.findAllByText("This field is required.")).toHaveLength(3);
    expect(calls.filter((c) => c.method === "POST")).toHaveLength(0);
  });
});

describe("login", () => {
  it("is in Czech for Czech, and says when the session expired", async () => {
    mockApi({ "GET /api/v1/auth/password-rules": () => json(200, rules) });
    await act(() => i18n.changeLanguage("cs"));
    renderWithProviders(<LoginPage />);
    expect(screen.getByRole("heading", { name: "Přihlášení" })).toBeInTheDocument();
    expect(screen.getByLabelText("Heslo")).toHaveAttribute("type", "password");
    await act(() => i18n.changeLanguage("en"));
    await waitFor(() => expect(screen.getByRole("heading", { name: "Sign in" })).toBeInTheDocument());
  });

  it("shows a failed sign-in's reason", async () => {
    setCsrfCookie("tok");
    mockApi({
      "POST /api/v1/auth/login": () =>
        json(401, { status: 401, title: "Not signed in", detail: "Wrong e-mail or password." }),
    });
    renderWithProviders(<LoginPage />);
    await userEvent.type(screen.getByLabelText("E-mail"), "a@b.cz");
    await userEvent.type(screen.getByLabelText("Password"), "whatever-it-is");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong e-mail or password.");
  });
});

describe("invitation", () => {
  it("accepts with the token from the link's fragment and a new password", async () => {
    setCsrfCookie("tok");
    const calls = mockApi({
      "GET /api/v1/auth/password-rules": () => json(200, rules),
      "POST /api/v1/invitations/accept": () => json(201, { user: { id: "u2", email: "petr@bylinky.cz" } }),
      "GET /api/v1/me": () =>
        json(401, { status: 401, title: "Not signed in", detail: "Sign in to continue." }),
    });
    renderWithProviders(<AcceptInvitePage />, { route: "/invite#secret-token" });
    expect(screen.getByRole("heading", { name: "Join your team" })).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText("Password"), "a long new passphrase");
    await userEvent.click(screen.getByRole("button", { name: "Accept invitation" }));
    await waitFor(() => expect(calls.some((c) => c.method === "POST")).toBe(true));
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({
      token: "secret-token",
      password: "a long new passphrase",
    });
  });

  it("says so when the link lost its token", () => {
    mockApi({});
    renderWithProviders(<AcceptInvitePage />, { route: "/invite" });
    expect(screen.getByRole("alert")).toHaveTextContent("This invitation link is incomplete.");
  });
});
