/**
 * Content-Security-Policy of the UI's pages, for both hosts: the browser host
 * sends it with the built renderer, the Electron shell sets it on its file://
 * page. Scripts only from the app itself; nothing may frame it.
 */
export const uiContentSecurityPolicy =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
  "font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
