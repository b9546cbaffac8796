// Stands in for uPlot when web/node_modules was not installed at build time: the DR page
// then says how to get the plot (scripts/install-deps.sh runs npm ci in web/).
window.uPlot = undefined;
