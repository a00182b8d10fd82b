// A Workers-style app: standard Request in, standard Response out.
export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    return new Response(`hello from TypeScript: ${request.method} ${url.pathname}\n`, {
      headers: { 'content-type': 'text/plain' },
    });
  },
};
