// Ops Console: a dashboard a team might ship, with a real UI library (antd) and a real chart
// library (echarts) in one vite bundle, talking to a JSON API on another origin (CORS).
import React, { useCallback, useEffect, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { Button, Card, Col, Form, Input, InputNumber, Layout, Menu, Modal, Row, Segmented, Statistic, Table, Tag, Typography } from 'antd';
import * as echarts from 'echarts';

const API = 'http://127.0.0.1:4181';
const STATUSES = ['all', 'pending', 'shipped', 'returned'];
const COLORS = { pending: 'gold', shipped: 'green', returned: 'volcano' };

async function api(path, init) {
  // Only the POST carries JSON (and so a CORS preflight); reads are simple requests.
  const res = await fetch(API + path, init && { ...init, headers: { 'content-type': 'application/json' } });
  if (!res.ok) throw new Error(`${res.status} ${path}`);
  return res.json();
}

function Chart({ option, label }) {
  const el = useRef(null);
  const chart = useRef(null);
  useEffect(() => {
    chart.current = echarts.init(el.current, null, { renderer: 'canvas' });
    return () => chart.current.dispose();
  }, []);
  useEffect(() => {
    if (option) chart.current.setOption(option, true);
  }, [option]);
  return <div ref={el} role="img" aria-label={label} style={{ height: 260 }} />;
}

function App() {
  const [summary, setSummary] = useState(null);
  const [orders, setOrders] = useState([]);
  const [status, setStatus] = useState('all');
  const [open, setOpen] = useState(false);
  const [notice, setNotice] = useState('');
  const [form] = Form.useForm();

  // `rev` names the data revision after a write, so no cache (nor a HAR) answers a stale read.
  const load = useCallback(async (s, rev) => {
    const q = rev ? `status=${s}&rev=${rev}` : `status=${s}`;
    const [sum, list] = await Promise.all([api(`/api/summary?${q}`), api(`/api/orders?${q}`)]);
    setSummary(sum);
    setOrders(list);
  }, []);
  useEffect(() => {
    load(status);
  }, [status, load]);

  const create = async () => {
    const values = await form.validateFields();
    const made = await api('/api/orders', { method: 'POST', body: JSON.stringify(values) });
    setOpen(false);
    form.resetFields();
    setNotice(`Order ${made.id} created for ${made.customer}`);
    await load(status, made.id);
  };

  const revenue = summary && {
    tooltip: { trigger: 'axis' },
    grid: { left: 48, right: 16, top: 24, bottom: 32 },
    xAxis: { type: 'category', data: summary.days.map((d) => d.day) },
    yAxis: { type: 'value' },
    series: [{ name: 'Revenue', type: 'line', smooth: true, areaStyle: {}, data: summary.days.map((d) => d.revenue) }],
  };
  const regions = summary && {
    tooltip: { trigger: 'item' },
    legend: { bottom: 0 },
    series: [{ name: 'Regions', type: 'pie', radius: ['40%', '70%'], data: summary.regions }],
  };
  const columns = [
    { title: 'Order', dataIndex: 'id', key: 'id' },
    { title: 'Customer', dataIndex: 'customer', key: 'customer' },
    { title: 'Region', dataIndex: 'region', key: 'region' },
    { title: 'Status', dataIndex: 'status', key: 'status', render: (s) => <Tag color={COLORS[s]}>{s}</Tag> },
    { title: 'Amount', dataIndex: 'amount', key: 'amount', align: 'right', sorter: (a, b) => a.amount - b.amount, render: (v) => `$${v.toFixed(2)}` },
  ];

  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Header style={{ display: 'flex', alignItems: 'center' }}>
        <Typography.Title level={4} style={{ color: '#fff', margin: '0 32px 0 0' }}>Ops Console</Typography.Title>
        <Menu theme="dark" mode="horizontal" selectedKeys={['orders']} style={{ flex: 1 }} items={[{ key: 'orders', label: 'Orders' }, { key: 'stock', label: 'Stock' }, { key: 'team', label: 'Team' }]} />
      </Layout.Header>
      <Layout.Content style={{ padding: 24 }}>
        {notice && <Typography.Text type="success" role="status">{notice}</Typography.Text>}
        <Row gutter={16} style={{ marginBottom: 16 }}>
          <Col span={8}><Card><Statistic title="Orders" value={summary ? summary.count : 0} /></Card></Col>
          <Col span={8}><Card><Statistic title="Revenue" prefix="$" precision={2} value={summary ? summary.revenue : 0} /></Card></Col>
          <Col span={8}><Card><Statistic title="Returned" value={summary ? summary.returned : 0} suffix="%" /></Card></Col>
        </Row>
        <Row gutter={16} style={{ marginBottom: 16 }}>
          <Col span={14}><Card title="Revenue by day"><Chart option={revenue} label="Revenue by day" /></Card></Col>
          <Col span={10}><Card title="Orders by region"><Chart option={regions} label="Orders by region" /></Card></Col>
        </Row>
        <Card
          title="Orders"
          extra={
            <div style={{ display: 'flex', gap: 12 }}>
              <Segmented aria-label="Status filter" options={STATUSES.map((s) => ({ label: s[0].toUpperCase() + s.slice(1), value: s }))} value={status} onChange={setStatus} />
              <Button type="primary" onClick={() => setOpen(true)}>New order</Button>
            </div>
          }
        >
          <Table rowKey="id" size="small" columns={columns} dataSource={orders} pagination={{ pageSize: 8 }} />
        </Card>
        <Modal title="New order" open={open} okText="Create" onOk={create} onCancel={() => setOpen(false)} destroyOnHidden>
          <Form form={form} layout="vertical" preserve={false}>
            <Form.Item label="Customer" name="customer" rules={[{ required: true, message: 'Customer is required' }]}>
              <Input id="customer" />
            </Form.Item>
            <Form.Item label="Amount" name="amount" rules={[{ required: true, message: 'Amount is required' }]}>
              <InputNumber id="amount" min={1} style={{ width: '100%' }} />
            </Form.Item>
          </Form>
        </Modal>
      </Layout.Content>
    </Layout>
  );
}

createRoot(document.getElementById('root')).render(<App />);
