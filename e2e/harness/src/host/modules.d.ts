// d3 is exposed to plugins as a shared module; the host only passes the namespace through.
declare module 'd3';
