// A web-components app: every piece of UI lives in a shadow root, some nested two deep.
import { LitElement, css, html } from 'lit';

const API = 'https://api.corpus.test';

/** A custom select: a button and a listbox of options, all in its shadow root. */
class FancySelect extends LitElement {
  static properties = { label: {}, options: { type: Array }, value: {}, open: { state: true } };
  static styles = css`
    :host { display: block; position: relative; margin: 12px 0; }
    button.trigger { font: inherit; width: 220px; text-align: left; padding: 6px 10px; border: 2px solid #3451b2; border-radius: 6px; background: #fff; cursor: pointer; }
    ul { position: absolute; z-index: 2; list-style: none; margin: 2px 0 0; padding: 4px 0; width: 220px; background: #fff; border: 1px solid #3451b2; border-radius: 6px; }
    li { padding: 4px 10px; cursor: pointer; }
    li[aria-selected='true'] { background: #dfe6fb; }
  `;
  constructor() {
    super();
    this.options = [];
    this.open = false;
  }
  pick(o) {
    this.value = o.value;
    this.open = false;
    this.dispatchEvent(new CustomEvent('change', { detail: o.value, bubbles: true, composed: true }));
  }
  render() {
    const current = this.options.find((o) => o.value === this.value);
    return html`<span id="l">${this.label}</span>
      <button class="trigger" type="button" aria-haspopup="listbox" aria-labelledby="l v" @click=${() => (this.open = !this.open)}>
        <span id="v">${current ? current.label : 'Choose…'}</span>
      </button>
      ${this.open
        ? html`<ul role="listbox" aria-labelledby="l">
            ${this.options.map((o) => html`<li role="option" aria-selected=${o.value === this.value} @click=${() => this.pick(o)}>${o.label}</li>`)}
          </ul>`
        : ''}`;
  }
}
customElements.define('fancy-select', FancySelect);

/** A toggle switch (role=switch) drawn entirely by CSS. */
class FancyToggle extends LitElement {
  static properties = { label: {}, checked: { type: Boolean, reflect: true } };
  static styles = css`
    :host { display: flex; align-items: center; gap: 8px; margin: 12px 0; }
    button { width: 44px; height: 24px; border-radius: 12px; border: 0; background: #bbb; position: relative; cursor: pointer; padding: 0; }
    button::after { content: ''; position: absolute; top: 3px; left: 3px; width: 18px; height: 18px; border-radius: 50%; background: #fff; }
    :host([checked]) button { background: #3451b2; }
    :host([checked]) button::after { left: 23px; }
  `;
  toggle() {
    this.checked = !this.checked;
    this.dispatchEvent(new CustomEvent('change', { detail: this.checked, bubbles: true, composed: true }));
  }
  render() {
    return html`<button type="button" role="switch" aria-checked=${this.checked ? 'true' : 'false'} aria-label=${this.label} @click=${this.toggle}></button><span>${this.label}</span>`;
  }
}
customElements.define('fancy-toggle', FancyToggle);

/** The profile form: fields, validation, and the nested custom controls. */
class ProfileForm extends LitElement {
  static properties = { profile: { type: Object }, errors: { state: true } };
  static styles = css`
    form { display: flex; flex-direction: column; background: #fff; padding: 16px; border-radius: 8px; }
    label { display: flex; flex-direction: column; margin: 6px 0; }
    input { font: inherit; padding: 6px 8px; border: 1px solid #99a; border-radius: 4px; }
    .error { color: #b00; font-size: 14px; }
    button[type='submit'] { align-self: flex-start; font: inherit; padding: 6px 14px; border: 0; border-radius: 4px; background: #3451b2; color: #fff; cursor: pointer; }
  `;
  constructor() {
    super();
    this.errors = {};
  }
  submit(e) {
    e.preventDefault();
    const data = new FormData(e.target);
    const name = String(data.get('displayName') || '').trim();
    const found = {};
    if (name.length < 2) found.displayName = 'Display name needs at least 2 characters';
    this.errors = found;
    if (Object.keys(found).length) return;
    this.dispatchEvent(new CustomEvent('save', { detail: { ...this.profile, displayName: name }, bubbles: true, composed: true }));
  }
  render() {
    const p = this.profile;
    return html`<form novalidate @submit=${this.submit} aria-label="Profile">
      <label>Display name <input name="displayName" .value=${p.displayName} /></label>
      ${this.errors.displayName ? html`<span class="error" role="alert">${this.errors.displayName}</span>` : ''}
      <fancy-select label="Language" .options=${[
        { value: 'en', label: 'English' },
        { value: 'fr', label: 'Français' },
        { value: 'de', label: 'Deutsch' },
      ]} .value=${p.language} @change=${(e) => (this.profile = { ...this.profile, language: e.detail })}></fancy-select>
      <fancy-toggle label="Public profile" ?checked=${p.public} @change=${(e) => (this.profile = { ...this.profile, public: e.detail })}></fancy-toggle>
      <button type="submit">Save profile</button>
    </form>`;
  }
}
customElements.define('profile-form', ProfileForm);

class ProfileApp extends LitElement {
  static properties = { profile: { state: true }, message: { state: true } };
  static styles = css`
    header { padding: 12px 24px; background: #324fff; color: #fff; font-weight: bold; }
    main { max-width: 520px; margin: 24px auto; padding: 0 16px; }
    .toast { margin-top: 12px; padding: 8px 12px; background: #dfd; border-radius: 4px; }
  `;
  connectedCallback() {
    super.connectedCallback();
    fetch(`${API}/profile`)
      .then((r) => r.json())
      .then((p) => (this.profile = p));
  }
  async save(e) {
    const r = await fetch(`${API}/profile`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(e.detail),
    });
    const p = await r.json();
    this.profile = p;
    this.message = `Saved ${p.displayName} (${p.language}, ${p.public ? 'public' : 'private'})`;
  }
  render() {
    return html`<header>Profile</header>
      <main>
        ${this.profile
          ? html`<profile-form .profile=${this.profile} @save=${this.save}></profile-form>`
          : html`<p>Loading profile…</p>`}
        ${this.message ? html`<p class="toast" role="status">${this.message}</p>` : ''}
      </main>`;
  }
}
customElements.define('profile-app', ProfileApp);
