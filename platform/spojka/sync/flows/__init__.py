"""The flows: orders, stock, products, fulfilment. Each is one async function over a FlowContext."""
