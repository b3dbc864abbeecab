import { createApp } from 'vue';
// Defines every <rtc-*> element.
import 'rtc-elements';
import App from './App.vue';

createApp(App).mount('#app');
